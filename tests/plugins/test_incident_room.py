"""The incident room: a live status message edited in place and pinned, where the platform can."""

from __future__ import annotations

from typing import Any

import pytest

from chatops import Capabilities
from chatops.testing import Harness

ROOM = "inc-1-checkout-api-errors"


@pytest.fixture
async def rich(chat_factory: Any) -> Harness:
    chat: Harness = await chat_factory(capabilities=Capabilities(edits=True, pins=True, topics=True))
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    return chat


async def test_the_status_message_is_pinned_and_edited_on_every_change(rich: Harness) -> None:
    pinned, _meeting = rich.transport.pins  # the status message, then the meeting link
    status = rich.transport.sent_as(pinned)
    assert status.room == ROOM and status.text.startswith("INC-1 · Sev2 · investigating")
    await rich.say("!incident sev 1 revenue impact", user="alice", room=ROOM)
    await rich.say("!incident role tech-lead @bob", user="alice", room=ROOM)
    await rich.say('!incident update "checkout failing — rolling back — next 14:20"', user="alice", room=ROOM)
    await rich.say("!incident mitigated", user="bob", room=ROOM)
    edits = [text for ref, text in rich.transport.edits if ref == pinned]
    assert edits[0].startswith("INC-1 · Sev1 · investigating")
    assert "IC @alice · Tech Lead @bob" in edits[1]
    assert "Impact: checkout failing — rolling back — next 14:20" in edits[2]
    assert edits[-1].startswith("INC-1 · Sev1 · mitigated (monitoring until 14:30 UTC)")
    assert rich.transport.topic(ROOM) == "INC-1 · Sev1 · mitigated · Checkout API errors · IC @alice"


async def test_the_ic_moderates_and_role_holders_are_invited(rich: Harness) -> None:
    assert rich.transport.moderators[ROOM] == {"test:alice"}
    await rich.say("!incident role tech-lead @bob", user="alice", room=ROOM)
    await rich.say("!incident role ic @carol", user="alice", room=ROOM)
    assert rich.transport.moderators[ROOM] == {"test:carol"}
    assert {"test:bob", "test:carol"} <= set(rich.transport.invited[ROOM])


async def test_without_edits_the_status_is_posted_once_and_shown_on_request(chat_factory: Any) -> None:
    chat: Harness = await chat_factory(capabilities=Capabilities(edits=False))
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await chat.say("!incident sev 1", user="alice", room=ROOM)
    assert chat.transport.edits == [] and chat.transport.pins == []
    assert (await chat.reply("!incident status", room=ROOM)).startswith("INC-1 · Sev1 · investigating")
