"""The test harness drives bridges as a person would: say, edit and delete in a bridged room."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chatops import Capabilities
from chatops.testing import Harness


async def test_edits_and_deletions_of_what_was_said_follow_the_copy(
    chat_factory: Callable[..., Awaitable[Harness]],
) -> None:
    chat = await chat_factory(
        config={"bridging": {"enabled": True}}, capabilities=Capabilities(edits=True, deletes=True)
    )
    app = chat.app
    await app.db.write(lambda tx: app.bridges.link(tx, "test:lobby", "test:war-room"))

    sent = await chat.say("pods restarting", user="alice", event_id="m1")
    assert [(m.room, m.text) for m in sent] == [("war-room", "alice (Test): pods restarting")]
    copy = chat.transport.refs[-1]
    assert await chat.edit("m1", "pods restarted", user="alice") == [(copy, "alice (Test): pods restarted")]
    assert await chat.delete("m1") == [copy]
    assert await chat.say("lunch?", room="random") == []  # not bridged: nothing to mirror
