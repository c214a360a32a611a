"""Durable timers: fired once, in due order, at their own due time, surviving restarts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chatops import hookimpl
from chatops.scheduler import Timer
from chatops.storage.db import Tx
from chatops.testing import Harness

fired: list[tuple[str, str]] = []


async def record(tx: Tx, timer: Timer) -> None:
    assert tx.app is not None
    fired.append((timer.key, tx.app.clock.now().strftime("%H:%M")))


async def explode(tx: Tx, timer: Timer) -> None:
    raise RuntimeError("handler bug")


class Timers:
    @hookimpl
    def chatops_timer_handlers(self) -> dict[str, Any]:
        return {"test.record": record, "test.explode": explode}


@pytest.fixture
def chatops_db_url(any_db_url: str) -> str:
    return any_db_url


@pytest.fixture
def chatops_plugins() -> list[tuple[str, object]]:
    fired.clear()
    return [("timers", Timers())]


async def schedule(chat: Harness, key: str, minutes: int, kind: str = "test.record") -> None:
    due = chat.clock.now() + timedelta(minutes=minutes)
    await chat.app.db.write(lambda tx: chat.app.scheduler.schedule(tx, kind=kind, key=key, due_at=due))


async def test_timers_fire_in_order_at_their_own_due_time(chat: Harness) -> None:
    await schedule(chat, "b", 20)
    await schedule(chat, "a", 5)
    await chat.advance("1h")
    assert fired == [("a", "14:05"), ("b", "14:20")]


async def test_rescheduling_a_key_replaces_it(chat: Harness) -> None:
    await schedule(chat, "a", 5)
    await schedule(chat, "a", 30)
    await chat.advance("1h")
    assert fired == [("a", "14:30")]


async def test_cancelled_timers_do_not_fire(chat: Harness) -> None:
    await schedule(chat, "a", 5)
    await chat.app.db.write(lambda tx: chat.app.scheduler.cancel(tx, "a"))
    await chat.advance("1h")
    assert fired == []


async def test_pending_timers_survive_a_restart_and_fire_once(chat: Harness) -> None:
    await schedule(chat, "a", 5)
    restarted = await chat.restart()
    await restarted.advance("10m")
    again = await restarted.restart()
    await again.advance("10m")
    assert fired == [("a", "14:05")]


async def test_a_failing_handler_is_recorded_and_others_still_fire(chat: Harness) -> None:
    await schedule(chat, "boom", 1, kind="test.explode")
    await schedule(chat, "a", 2)
    await chat.advance("5m")
    assert fired == [("a", "14:02")]
    from sqlalchemy import select

    from chatops.storage.tables import timers

    async with chat.app.db.read() as conn:
        row = (await conn.execute(select(timers).where(timers.c.key == "boom"))).one()
    assert row.state == "failed" and "failed" in row.error
