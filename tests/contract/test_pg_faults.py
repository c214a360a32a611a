"""PostgreSQL connections cut mid-run (pg_terminate_backend): chatops reconnects and loses nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from chatops.testing import Harness

ROOM = "inc-1-checkout-api-errors"


@pytest.fixture
def chatops_db_url(pg_url: str) -> str:
    return pg_url


async def cut_every_connection(url: str) -> int:
    """Terminate every other session on the test database, as a failover or an operator would."""
    parsed = make_url(url)
    admin = await asyncpg.connect(
        host=parsed.host, port=parsed.port or 5432, user=parsed.username, database="postgres"
    )
    try:
        rows = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            parsed.database,
        )
    finally:
        await admin.close()
    return len(rows)


async def test_cut_connections_are_replaced_and_nothing_is_lost(chat: Harness, chatops_db_url: str) -> None:
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await chat.say("!incident note before the cut", user="alice", room=ROOM)
    assert await cut_every_connection(chatops_db_url) >= 1
    assert await chat.reply("!incident note after the cut", user="alice", room=ROOM) == "Noted on INC-1."
    reminders = [m for m in await chat.advance("30m") if "update is due" in m.text]  # a timer, after the cut
    assert len(reminders) == 1
    await cut_every_connection(chatops_db_url)
    timeline = await chat.reply("!incident timeline", user="alice", room=ROOM)
    assert "note: before the cut" in timeline and "note: after the cut" in timeline


async def test_reads_reconnect_too(chat: Harness, chatops_db_url: str) -> None:
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await cut_every_connection(chatops_db_url)
    listed: Any = await chat.reply("!incident list", user="alice")
    assert "INC-1" in listed
