"""On-call in chat: who is on call, overrides, pages that escalate until acknowledged."""

from __future__ import annotations

from typing import Any

import pytest

from chatops.testing import Harness

ONCALL: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "oncall": {
        "people": {
            "alice": {"timezone": "Europe/Berlin", "accounts": ["test:alice"]},
            "bob": {"timezone": "America/New_York", "accounts": ["test:bob"]},
            "carol": {"accounts": ["test:carol"]},
        },
        "schedules": {
            "platform": {
                "timezone": "Europe/Berlin",
                "layers": [{"participants": ["alice", "bob"], "start": "2026-02-23 09:00", "shift": "1w"}],
            }
        },
        "policies": {
            "default": {
                "steps": [
                    {"targets": ["schedule:platform"], "after": "5m"},
                    {"targets": ["user:carol"], "after": "5m"},
                ]
            }
        },
        "severity_policies": {1: "default", 2: "default", 3: "default"},
    },
}


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return ONCALL


def texts(sent: list[Any], room: str) -> list[str]:
    return [m.text for m in sent if m.room == room]


async def test_who_is_on_call_now_and_later(chat: Harness) -> None:
    # 2026-03-02 is a Monday: bob's week began at 09:00 (alice had the week of 2026-02-23)
    assert (
        await chat.reply("!oncall who", user="alice")
        == "On call now:\n  platform: @bob (primary) until 2026-03-09 09:00 CET"
    )
    later = await chat.reply('!oncall who platform --at "2026-03-10 12:00"', user="alice")
    assert later.startswith("On call at 2026-03-10 12:00 CET:\n  platform: @alice (primary)")


async def test_an_override_covers_then_hands_back(chat: Harness) -> None:
    done = await chat.reply("!oncall override platform @carol now 2h", user="alice")
    assert done == "@carol covers platform from 15:00 CET to 17:00 CET."
    # bob reads it in his own timezone
    assert "platform: @carol (override) until 11:00 EST" in await chat.reply("!oncall who", user="bob")
    table = await chat.reply("!oncall schedule platform", user="alice")
    assert [line.split("  ")[-1] for line in table.splitlines()[1:]] == [
        "@carol (override)",
        "@bob (primary)",
    ]

    for bad, answer in [
        ('!oncall override platform @carol "in 1h" 2h', "That overlaps @carol's override of platform"),
        ('!oncall override platform @carol "2026-03-05 10:00" "2026-03-05 09:00"', "The override ends"),
        ("!oncall override nowhere @carol now 1h", "no schedule 'nowhere' (schedules: platform)"),
        ("!oncall override platform @mallory now 1h", "@mallory is not in the on-call config"),
        ("!oncall override platform @carol soon 1h", "not a time: 'soon'"),
    ]:
        assert answer in await chat.reply(bad, user="alice")
    assert "platform: @carol (override)" in await chat.reply("!oncall who", user="bob")  # nothing changed


async def test_a_declaration_pages_and_escalates_until_acknowledged(chat: Harness) -> None:
    sent = await chat.say('!incident declare "Checkout down" --sev 1', user="alice")
    assert any("📟 You are paged: P-1 · Sev1 · INC-1: Checkout down" in t for t in texts(sent, "@bob"))
    assert not texts(sent, "@carol")
    room_texts = [m.text for m in sent if "paged (step 1/2)" in m.text]
    assert room_texts and room_texts[0].startswith(
        "📟 @bob paged (step 1/2): P-1 · Sev1 · INC-1: Checkout down"
    )

    escalated = await chat.advance("5m")
    assert any("You are paged: P-1" in t for t in texts(escalated, "@carol"))

    answer = await chat.reply("!ack", user="carol")
    assert answer == "Acknowledged P-1: escalation stopped."
    edits = [text for _, text in chat.transport.edits]
    assert sum("✅ P-1 acknowledged by @carol" in t for t in edits) == 4  # 2 direct messages, 2 room mentions
    assert not [m for m in await chat.advance("30m") if "P-1" in m.text]  # the escalation stopped

    timeline = await chat.reply("!incident timeline --id 1", user="alice")
    assert "paged: P-1 → @bob (step 1/2)" in timeline and "paged: P-1 → @carol (step 2/2)" in timeline
    assert "page_acknowledged: P-1 acknowledged by @carol" in timeline


async def test_acknowledging_mistakes_change_nothing(chat: Harness) -> None:
    await chat.say('!incident declare "Checkout down" --sev 1', user="alice")
    assert (
        await chat.reply("!ack P-1", user="alice")
        == "P-1 was not sent to you; only the people it paged can acknowledge it."
    )
    assert await chat.reply("!ack P-9", user="bob") == "There is no page P-9."
    assert "is not a page" in await chat.reply("!ack banana", user="bob")
    assert await chat.reply("!ack 1", user="bob") == "Acknowledged P-1: escalation stopped."
    assert (await chat.reply("!ack P-1", user="bob")).startswith("P-1 was already acknowledged by @bob at ")
    assert (await chat.reply("!ack", user="mallory")).startswith("You are not in the on-call config")


async def test_nobody_acknowledging_is_said_loudly(chat: Harness) -> None:
    await chat.say('!incident declare "Checkout down" --sev 2', user="alice")
    await chat.advance("5m")
    exhausted = await chat.advance("5m")
    assert any(
        t.startswith("⚠️ Nobody acknowledged P-1 (2 step(s), 1 round(s)).")
        for t in (m.text for m in exhausted)
    )


async def test_low_severity_waits_for_business_hours_visibly(chat: Harness) -> None:
    await chat.advance("6h")  # Monday 21:00 CET, after hours
    sent = await chat.say('!incident declare "Search slow" --sev 3', user="alice")
    waiting = [m.text for m in sent if "waits for business hours" in m.text]
    assert waiting == ["P-1 (Sev3) waits for business hours: paging starts 2026-03-03 10:00 CET."]
    assert not [m for m in sent if "You are paged" in m.text]
    morning = await chat.advance("13h")  # Tuesday 10:00 CET (09:00 UTC business hours)
    assert any("You are paged: P-1 · Sev3" in t for t in texts(morning, "@bob"))


async def test_a_stranger_cannot_wake_anyone(chat: Harness) -> None:
    sent = await chat.say('!incident declare "Everything is down" --sev 1', user="mallory")
    assert not [m for m in sent if "paged" in m.text]
    refused = await chat.reply('!page platform "wake up"', user="mallory")
    assert refused == "Only the people in the on-call config or an admin can page people."


async def test_paging_a_person_directly(chat: Harness) -> None:
    sent = await chat.say('!page @carol "disk 95% on db-3" --sev 2', user="alice")
    assert "P-1 is paging carol (step 1/1, round 1/3); !ack P-1 stops it." in [m.text for m in sent]
    assert any("You are paged: P-1 · Sev2: disk 95% on db-3" in t for t in texts(sent, "@carol"))
    again = await chat.advance("5m")
    assert any("You are paged: P-1" in t for t in texts(again, "@carol"))  # round 2
    assert "No schedule, policy or person 'nowhere'" in await chat.reply("!page nowhere hello", user="alice")


async def test_linking_a_second_account_is_proven_from_both_sides(chat: Harness) -> None:
    sent = await chat.say("!whoami link", user="alice")
    code = next(t for t in texts(sent, "@alice") if t.startswith("Your link code is")).split()[4].rstrip(".")
    assert await chat.reply(f"!whoami link {code}", user="alice") == (
        "Confirm the code from your other account, not the one that asked for it."
    )
    sent = await chat.say("!whoami link", user="alice")
    code = next(t for t in texts(sent, "@alice") if t.startswith("Your link code is")).split()[4].rstrip(".")
    assert (await chat.reply("!whoami link 00000000", user="alice2")).startswith(
        "That code is unknown or expired"
    )
    assert (
        await chat.reply(f"!whoami link {code}", user="alice2")
        == "Linked: both accounts are @alice; pages reach you on each."
    )
    assert (await chat.reply(f"!whoami link {code}", user="mallory")).startswith(
        "That code is unknown or expired"
    )  # single use
    assert "accounts: test:alice, test:alice2" in await chat.reply("!whoami", user="alice2")


async def test_a_code_asked_for_by_a_stranger_cannot_take_a_known_persons_identity(chat: Harness) -> None:
    """mallory asks for a code and talks alice into typing it: a linked account would hold alice's
    roles and rights on every platform, so the code must come from the account already known."""
    sent = await chat.say("!whoami link", user="mallory")
    code = (
        next(t for t in texts(sent, "@mallory") if t.startswith("Your link code is")).split()[4].rstrip(".")
    )
    assert (await chat.reply(f"!whoami link {code}", user="alice")).startswith(
        "Ask for the code from the account that is already known"
    )
    assert "not in the on-call config" in await chat.reply("!whoami", user="mallory")


async def test_hand_offs_are_announced_to_both_people(chat: Harness) -> None:
    # bob's week ends Monday 2026-03-09 09:00 CET (08:00 UTC): alice takes over
    sent = await chat.advance("6d18h")
    assert texts(sent, "@alice") == [
        "🔔 You are on call for platform from now until 2026-03-16 09:00 CET. @bob handed over."
    ]
    assert texts(sent, "@bob") == ["Your on-call shift for platform has ended; @alice has it now."]


async def test_an_override_moves_the_hand_off(chat: Harness) -> None:
    await chat.say('!oncall override platform @carol "in 1h" 2h', user="alice")
    sent = await chat.advance("1h")
    assert texts(sent, "@carol") == [
        "🔔 You are on call for platform from now until 17:00 UTC. @bob handed over."  # carol reads UTC
    ]
    back = await chat.advance("2h")
    assert (
        texts(back, "@bob")
        == [
            "🔔 You are on call for platform from now until 2026-03-09 04:00 EDT. @carol handed over."  # New York time
        ]
    )
