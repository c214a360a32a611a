"""With replicas on PostgreSQL, each inbound command is claimed by its event id before it is handled.

A takeover replays what the old serving replica was handling when it died
(Matrix resumes from the stored sync cursor): the replayed command must
not act a second time, although the new process has never seen it.
"""

from __future__ import annotations

import pytest

from chatops.testing import Harness


@pytest.fixture
def chatops_db_url(pg_url: str) -> str:
    return pg_url


async def test_a_command_replayed_to_another_process_is_handled_once(chat: Harness) -> None:
    declare = '!incident declare "Checkout API errors" --sev 2'
    chat.transport.replays_after_takeover = True  # as Matrix does: it resumes from a stored cursor
    assert "INC-1 declared" in await chat.reply(declare, user="alice", event_id="$replayed")
    taken_over = await chat.restart()  # a new process: its in-memory window is empty
    taken_over.transport.replays_after_takeover = True
    assert await taken_over.say(declare, user="alice", event_id="$replayed") == []  # not handled again
    listed = await taken_over.reply("!incident list", user="alice")
    assert "INC-1" in listed and "INC-2" not in listed
    assert "INC-2 declared" in await taken_over.reply(declare, user="alice", event_id="$new")


async def test_commands_of_a_transport_that_does_not_replay_cost_no_claim(chat: Harness) -> None:
    """Slack and Discord acknowledge and hand over each event once; claiming them would only add
    a write to every command."""
    before = chat.app.db.commits
    await chat.say("!incident list", user="alice")
    assert chat.app.db.commits == before  # a read-only command writes nothing
