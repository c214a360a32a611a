"""Edge cases found in review: each of these once crashed, hung, locked people out or lost data."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from chatops import hookimpl
from chatops.context import UserError
from chatops.events import DomainEvent
from chatops.models.chat import Room, User
from chatops.scheduler import Timer
from chatops.storage.db import Tx
from chatops.testing import FakeTransport, Harness

ROOM = "inc-1-checkout-api-errors"


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ('!incident declare x --started "99999999d ago"', "--started: '99999999d ago' is too far from now."),
        (
            "!incident declare x --started 0001-01-01T00:00:00+14:00",
            "--started: '0001-01-01T00:00:00+14:00' is too far from now.",
        ),
        (
            "!incident status --id 99999999999999999999",
            "--id: '99999999999999999999' is not an incident id; use e.g. 42 or INC-42.",
        ),
        ("!incident declare x --private=no", "--private takes no value."),
        ("!incident declare x --sev 1 --sev 2", "--sev is given twice."),
        ("!incident declare x --started 02:30", None),
    ],
)
async def test_odd_arguments_get_an_answer(chat: Harness, text: str, answer: str | None) -> None:
    reply = await chat.reply(text)
    if answer is not None:
        assert reply.splitlines()[0] == answer
    assert "plugin failed" not in reply and "inside chatops" not in reply


async def test_a_time_skipped_by_daylight_saving_is_refused(chat_factory: Any) -> None:
    from datetime import UTC, datetime

    chat: Harness = await chat_factory(
        config={"timezone": "Europe/Berlin"}, start=datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    )
    reply = await chat.reply("!incident declare x --started 02:30")
    assert (
        reply.splitlines()[0]
        == "--started: 02:30 did not happen in Europe/Berlin that day (the clocks went forward)."
    )


async def test_an_empty_option_value_is_a_value(chat: Harness) -> None:
    await chat.say("!incident declare x", user="alice")
    reply = await chat.reply("!incident resolve --force= --id 1", user="alice")
    assert reply == 'A forced resolve needs a reason: !incident resolve --force "<reason>"'


@pytest.mark.parametrize(("chat_config",), [({"command_prefix": "!!"},)])
async def test_a_longer_prefix(chat: Harness) -> None:
    assert (await chat.reply("!!incident declare x")).startswith("INC-1 declared")
    assert await chat.say("!incident declare y") == []


async def test_slash_chatter_is_not_a_command(chat: Harness) -> None:
    assert await chat.say("/var/log is full on db-1") == []
    assert (await chat.reply("/incident lsit")).startswith('Unknown command "!incident lsit"')


async def test_the_ic_cannot_be_cleared(chat: Harness) -> None:
    await chat.say("!incident declare x", user="alice")
    reply = await chat.reply("!incident role ic --clear", user="alice", room="inc-1-x")
    assert reply.startswith("An incident always has an Incident Commander.")


@pytest.mark.parametrize(("chat_config",), [({"incident": {"declarer_is_ic": False}},)])
async def test_without_an_ic_the_declarer_can_appoint_one(chat: Harness) -> None:
    await chat.say("!incident declare x", user="alice")
    assert await chat.reply("!incident role ic @bob", user="alice", room="inc-1-x") == (
        "@bob is now Incident Commander of INC-1."
    )
    assert (await chat.reply("!incident role ic @carol", user="alice", room="inc-1-x")).startswith(
        "Only the Incident Commander (@bob)"
    )


async def test_an_incident_outlives_the_removal_of_its_severity_level(chat_factory: Any) -> None:
    first: Harness = await chat_factory()
    await first.say("!incident declare x --sev 2", user="alice")
    await first.close()
    levels = [{"level": n, "name": f"Sev{n}", "monitoring": "10m"} for n in (1, 3, 4)]
    second: Harness = await chat_factory(config={"severity": {"levels": levels}})
    assert (await second.reply("!incident status", room="inc-1-x")).startswith("INC-1 · Sev2 · investigating")
    assert (await second.reply("!incident mitigated", user="alice", room="inc-1-x")).startswith(
        "INC-1 is mitigated"
    )


async def test_a_cadence_of_zero_is_a_config_error(chat_factory: Any) -> None:
    from chatops.config import ConfigError

    levels = [{"level": 1, "name": "Sev1", "update_every": "0m"}]
    with pytest.raises(ConfigError, match="update_every must be longer than 0"):
        await chat_factory(config={"severity": {"default": 1, "levels": levels}})


class SlowRooms(FakeTransport):
    """Room creation that waits until released, as a slow homeserver would."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = asyncio.Event()
        self.release = asyncio.Event()

    async def create_room(
        self,
        name: str,
        topic: str,
        *,
        private: bool,
        invite: Sequence[User],
        display_name: str | None = None,
        origin_room_id: str | None = None,
    ) -> Room:
        self.creating.set()
        await self.release.wait()
        return await super().create_room(
            name, topic, private=private, invite=invite, display_name=display_name
        )


async def test_changes_made_while_the_room_is_being_created_are_kept(chat: Harness) -> None:
    slow = SlowRooms(chat.app)
    chat.app.transports["test"] = chat.transport = slow
    declaring = asyncio.create_task(chat.say('!incident declare "Checkout API errors" --sev 3', user="alice"))
    await slow.creating.wait()
    await chat.say("!incident sev 1 --id 1", user="alice")
    await chat.say("!incident hypothesis bad deploy --id 1", user="alice")
    slow.release.set()
    await declaring
    status = await chat.reply("!incident status", room=ROOM)
    assert status.startswith("INC-1 · Sev1 · investigating") and "Hypothesis: bad deploy" in status


async def refuse(tx: Tx, timer: Timer) -> None:
    raise UserError("not a command")


fired: list[str] = []


async def record(tx: Tx, timer: Timer) -> None:
    fired.append(timer.key)


class Timers:
    @hookimpl
    def chatops_timer_handlers(self) -> dict[str, Any]:
        return {"test.refuse": refuse, "test.record": record}

    @hookimpl
    async def chatops_event_recorded(self, tx: Tx, event: DomainEvent) -> None:
        raise UserError("observers do not answer people")


async def test_a_refusing_timer_or_observer_is_a_failure_not_a_blockage(
    chat_factory: Any, register_plugin: Any
) -> None:
    from datetime import timedelta

    register_plugin(Timers(), "timers")
    chat: Harness = await chat_factory()
    fired.clear()
    assert (await chat.reply("!incident declare x")).startswith(
        "INC-1 declared"
    )  # observer failure contained
    due = chat.clock.now() + timedelta(minutes=1)
    await chat.app.db.write(
        lambda tx: chat.app.scheduler.schedule(tx, kind="test.refuse", key="a", due_at=due)
    )
    await chat.app.db.write(
        lambda tx: chat.app.scheduler.schedule(tx, kind="test.record", key="b", due_at=due)
    )
    await chat.advance("5m")
    assert fired == ["b"]


async def test_a_write_inside_a_write_is_refused(chat: Harness) -> None:
    async def outer(tx: Tx) -> None:
        await chat.app.db.write(lambda inner: inner.execute("SELECT 1"))  # type: ignore[arg-type]

    with pytest.raises(RuntimeError, match="inside a write job"):
        await chat.app.db.write(outer)
    assert (await chat.reply("!incident declare still writing")).startswith("INC-1 declared")


async def test_after_commit_actions_run_even_if_the_caller_is_cancelled(chat: Harness) -> None:
    started, gate, ran = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def blocker(tx: Tx) -> None:  # holds the batch open until the caller has been cancelled
        started.set()
        await gate.wait()

    async def job(tx: Tx) -> None:
        async def after() -> None:
            ran.set()

        tx.after_commit(after)

    holding = asyncio.create_task(chat.app.db.write(blocker))
    caller = asyncio.create_task(chat.app.db.write(job))
    await started.wait()
    caller.cancel()
    gate.set()
    await holding
    await asyncio.wait_for(ran.wait(), 5)
    assert caller.cancelled()


async def test_a_private_incident_room_tells_outsiders_why(chat: Harness) -> None:
    await chat.say("!incident declare payroll leak --private", user="alice")
    reply = await chat.reply("!incident status", user="mallory", room="inc-1-payroll-leak")
    assert reply == "INC-1 is private: only its participants and admins can use it."
