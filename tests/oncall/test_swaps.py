"""Shift swaps: asked of someone, changed only once they accept, refused when they cannot hold."""

from __future__ import annotations

from typing import Any

import pytest
from test_paging import ONCALL, texts

from chatops.testing import Harness


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return ONCALL  # alice and bob take weekly turns from Monday 09:00 Berlin; bob has this week


async def who_at(chat: Harness, when: str) -> str:
    return (await chat.reply(f'!oncall who platform --at "{when}"', user="alice")).splitlines()[1].strip()


async def test_a_swap_changes_nothing_until_the_partner_accepts(chat: Harness) -> None:
    sent = await chat.say('!oncall swap platform @bob --theirs "2026-03-16 12:00"', user="alice")
    assert texts(sent, "lobby") == [
        "Asked @bob (S-1): they take your platform shift Mon 09 Mar 09:00 to Mon 16 Mar 09:00 CET, "
        "you take theirs Mon 16 Mar 09:00 to Mon 23 Mar 09:00 CET. Nothing changes until they accept."
    ]
    (question,) = [m for m in sent if m.room == "@bob"]
    assert question.text.startswith(  # in bob's own timezone
        "🔁 @alice asks to swap platform shifts (S-1): you would take theirs, "
        "Mon 09 Mar 04:00 to Mon 16 Mar 04:00 EDT, and they yours, Mon 16 Mar 04:00 to Mon 23 Mar 04:00 EDT."
    )
    assert "!oncall accept S-1" in question.text
    assert await who_at(chat, "2026-03-10 12:00") == "platform: @alice (primary) until 2026-03-16 09:00 CET"

    assert await chat.reply("!oncall accept S-1", user="carol") == "S-1 is @bob's to accept."
    sent = await chat.say("!oncall accept S-1", user="bob")
    assert texts(sent, "lobby") == [
        "Swapped (S-1): @bob covers Mon 09 Mar 04:00 to Mon 16 Mar 04:00 EDT, "
        "@alice covers Mon 16 Mar 04:00 to Mon 23 Mar 04:00 EDT."
    ]
    assert texts(sent, "@alice") == [
        "✅ @bob accepted S-1: they cover Mon 09 Mar 09:00 to Mon 16 Mar 09:00 CET; "
        "you cover Mon 16 Mar 09:00 to Mon 23 Mar 09:00 CET."
    ]
    assert await who_at(chat, "2026-03-10 12:00") == "platform: @bob (override) until 2026-03-16 09:00 CET"
    assert await who_at(chat, "2026-03-17 12:00") == "platform: @alice (override) until 2026-03-23 09:00 CET"
    assert await chat.reply("!oncall accept S-1", user="bob") == "S-1 was already accepted."

    # bob keeps the pager across Monday 09:00 (no hand-off), and hands it to alice a week later
    assert not [m for m in await chat.advance("7d") if m.text.startswith("🔔")]
    handed = await chat.advance("7d")
    assert any(t.startswith("🔔 You are on call for platform") for t in texts(handed, "@alice"))


async def test_declined_withdrawn_and_expired_swaps_change_nothing(chat: Harness) -> None:
    ask = '!oncall swap platform @bob --mine "2026-03-24 12:00" --theirs "2026-03-31 12:00"'
    assert (await chat.reply(ask, user="alice")).startswith("Asked @bob (S-1)")
    sent = await chat.say("!oncall decline S-1", user="bob")
    assert texts(sent, "lobby") == ["S-1 is off; the platform schedule is unchanged."]
    assert texts(sent, "@alice") == ["S-1 (platform) was declined by @bob."]

    assert (await chat.reply(ask, user="alice")).startswith("Asked @bob (S-2)")
    sent = await chat.say("!oncall decline S-2", user="alice")
    assert texts(sent, "@bob") == ["S-2 (platform) was withdrawn by @alice."]

    assert (await chat.reply(ask, user="alice")).startswith("Asked @bob (S-3)")
    await chat.advance("25h")
    assert "S-3 expired unanswered" in await chat.reply("!oncall accept S-3", user="bob")
    assert await who_at(chat, "2026-03-24 12:00") == "platform: @alice (primary) until 2026-03-30 09:00 CEST"


async def test_swaps_that_cannot_hold_are_refused(chat: Harness) -> None:
    for bad, answer in [
        ("!oncall swap platform @alice", "A swap needs someone else"),
        (
            '!oncall swap platform @bob --mine "2026-03-17 12:00"',
            "You have no platform shift at 2026-03-17 12:00 CET.",
        ),
        ("!oncall swap platform @carol", "@carol has no platform shift in the next 60 days."),
        ("!oncall swap nowhere @bob", "no schedule 'nowhere'"),
        ("!oncall swap platform @bob --mine soon", "not a time: 'soon'"),
        ("!oncall accept X", "'X' is not a swap (use S-3 or 3)"),
        ("!oncall accept S-99", "There is no swap S-99."),
    ]:
        assert answer in await chat.reply(bad, user="alice")
    assert await chat.reply("!oncall swap platform @bob", user="mallory") == (
        "Only the people in the on-call config or an admin can change on-call schedules."
    )

    await chat.say("!oncall override platform @carol 2026-03-10T10:00 2h", user="alice")
    refused = await chat.reply("!oncall swap platform @bob", user="alice")  # alice's next shift holds it
    assert refused.startswith(
        "@carol's override (Tue 10 Mar 10:00 to Tue 10 Mar 12:00 CET) already covers part"
    )
    assert (
        "Asked" not in refused and await chat.reply("!oncall accept 1", user="bob") == "There is no swap S-1."
    )
