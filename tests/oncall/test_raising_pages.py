"""Raising an incident's severity upgrades its paging in place; lowering it takes nothing back."""

from __future__ import annotations

from typing import Any

import pytest

from chatops.testing import Harness

CONFIG: dict[str, Any] = {
    "oncall": {
        "people": {"alice": {"accounts": ["test:alice"]}, "carol": {"accounts": ["test:carol"]}},
        "policies": {
            "urgent": {"steps": [{"targets": ["user:carol"], "after": "5m"}]},
            "daytime": {"steps": [{"targets": ["user:carol"], "after": "30m"}]},
        },
        "severity_policies": {1: "urgent", 2: "urgent"},  # a Sev3 pages nobody
        "around_the_clock": [1, 2, 3],
    }
}
ROOM = "inc-1-checkout-slow"


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return CONFIG


def pages_to_carol(chat: Harness) -> list[str]:
    return [m.text for m in chat.messages("@carol") if m.text.startswith("📟")]


async def test_a_sev3_raised_to_sev1_pages_then_and_only_once(chat: Harness) -> None:
    await chat.say('!incident declare "Checkout slow" --sev 3', user="alice")
    assert pages_to_carol(chat) == []
    await chat.say("!incident sev 2 errors now", user="alice", room=ROOM)
    assert pages_to_carol(chat) == [
        "📟 You are paged: P-1 · Sev2 · INC-1: Checkout slow\nAcknowledge: !ack P-1\n[Acknowledge: !ack P-1]"
    ]
    await chat.say("!incident sev 1 revenue impact", user="alice", room=ROOM)  # the same policy paged already
    assert len(pages_to_carol(chat)) == 1
    await chat.say("!incident sev 3 recovered mostly", user="alice", room=ROOM)
    assert len(pages_to_carol(chat)) == 1


async def test_a_stranger_raising_the_severity_wakes_nobody(chat: Harness) -> None:
    await chat.say('!incident declare "Checkout slow" --sev 3', user="alice")
    await chat.say("!incident role ic @mallory", user="alice", room=ROOM)
    await chat.say("!incident sev 1 it got worse", user="mallory", room=ROOM)
    assert (await chat.reply("!incident status", user="alice", room=ROOM)).startswith("INC-1 · Sev1")
    assert pages_to_carol(chat) == []
