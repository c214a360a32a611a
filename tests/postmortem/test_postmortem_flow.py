"""A scripted incident ends in a published, blameless postmortem with specific, owned action items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chatops.testing import Harness

ROOM = "inc-1-checkout-api-errors"


@pytest.fixture
def chat_config(tmp_path: Path) -> dict[str, Any]:
    return {"postmortem": {"directory": str(tmp_path / "postmortems")}}


async def incident(chat: Harness) -> None:
    """Declared 14:00 (impact from 13:58), mitigated 14:10, resolved 14:40 (UTC)."""
    await chat.say('!incident declare "Checkout API errors" --sev 2 --started 13:58', user="alice")
    for user, text in [
        ("alice", "!incident role tech-lead @bob"),
        ("dave", "!incident note deploy 1234 went out at 13:58"),
        ("bob", "!incident hypothesis connection pool exhaustion"),
    ]:
        await chat.say(text, user=user, room=ROOM)
    await chat.advance("5m")
    await chat.say("!incident identified pool sized for the old connection count", user="bob", room=ROOM)
    await chat.advance("5m")
    await chat.say("!incident mitigated rolled back to 1233", user="bob", room=ROOM)


async def test_a_postmortem_is_drafted_from_the_record_and_published_blameless(
    chat: Harness, tmp_path: Path
) -> None:
    say = lambda text, user="alice": chat.reply(text, user=user, room=ROOM)  # noqa: E731
    await chat.say('!incident declare "Checkout API errors" --sev 2 --started 13:58', user="alice")
    assert (await say("!postmortem start")).startswith(
        "INC-1 is investigating: write the postmortem once it is mitigated"
    )
    await chat.advance("1m")
    await chat.say("!incident note deploy 1234 went out at 13:58", user="dave", room=ROOM)
    await chat.advance("9m")
    await chat.say("!incident mitigated rolled back to 1233", user="alice", room=ROOM)

    started = await say("!postmortem start")
    assert started.startswith("Postmortem draft for INC-1 started:")
    assert "• Summary: What happened and how was it resolved" in started
    assert "• Action items: !action add <specific change> --owner @person --due <date>" in started

    assert await say("!postmortem set impact 30% of checkouts failed for 12 minutes") == "Impact written."
    blamed = await say("!postmortem set summary Checkout failed because @dave deployed a broken build.")
    assert blamed.startswith("Summary written.\n⚠️ “Checkout failed because @dave deployed a broken build.”")
    assert "makes @dave the cause" in blamed
    root = await say("!postmortem set root-cause the connection pool ran out under load")
    assert root.startswith("Root cause written. Now ask how that was possible")
    assert (await say("!postmortem why the pool was sized for the previous connection count")).startswith(
        "Root cause level 2 added."
    )
    await say("!postmortem why nothing checks pool size against the new count at deploy time")
    await say("!postmortem set contributing the latency alert fired only after 8 minutes")
    await say("!postmortem set went-well the rollback took two minutes and was rehearsed")

    refused = await say("!postmortem publish")
    assert refused.startswith("Not ready to publish; still to write:\n• Action items")
    added = await say(
        "!action add Alert when the connection pool is above 80% for 5 minutes --owner @bob --due 2w"
    )
    assert added == (
        "AI-1 added to INC-1: Alert when the connection pool is above 80% for 5 minutes — @bob, due 2026-03-16."
    )
    refused = await say("!postmortem publish")
    assert refused.startswith("1 sentence(s) make a person the cause:")
    assert '!postmortem publish --override "<why>"' in refused

    await say("!postmortem set summary Checkout failed for 12 minutes after deploy 1234 exhausted the pool.")
    assert await say("!postmortem check") == "No sentence makes a person the cause. 👍"
    published = await say("!postmortem publish")
    directory = tmp_path / "postmortems"
    assert published == (
        f"INC-1 postmortem published: {directory / 'INC-1-postmortem.md'}, {directory / 'INC-1-postmortem.html'}"
    )
    markdown = (directory / "INC-1-postmortem.md").read_text()
    assert markdown.startswith("# INC-1 postmortem: Checkout API errors\n")
    assert "| Impact began | 2026-03-02 13:58 UTC |" in markdown
    assert "| Durations | time to detect 2 min, to mitigate 10 min |" in markdown
    assert "- **2026-03-02 14:01 UTC** @dave — note: deploy 1234 went out at 13:58\n" in markdown
    assert "- **2026-03-02 14:10 UTC** @alice — investigating → mitigated: rolled back to 1233\n" in markdown
    assert (
        "1. the connection pool ran out under load\n"
        "2. How was that possible? the pool was sized for the previous connection count\n"
        "3. How was that possible? nothing checks pool size against the new count at deploy time\n"
    ) in markdown
    assert (
        "| AI-1 | Alert when the connection pool is above 80% for 5 minutes | bob | 2026-03-16 | open |"
        in markdown
    )
    assert (
        "postmortem" not in markdown.split("## Timeline")[1].split("## Root cause")[0]
    )  # its own events stay out
    html = (directory / "INC-1-postmortem.html").read_text()
    assert "<h2>Root cause</h2>" in html and "<time datetime=" in html
    timeline = await say("!incident timeline")
    assert "postmortem published by @alice" in timeline


async def test_an_html_template_escapes_what_people_wrote(chat: Harness, tmp_path: Path) -> None:
    await incident(chat)
    say = lambda text, user="alice": chat.reply(text, user=user, room=ROOM)  # noqa: E731
    await say("!postmortem start")
    for section in ("summary", "impact", "root-cause", "contributing", "went-well"):
        await say(f"!postmortem set {section} <script>alert(1)</script> in {section}")
    await say("!action add Page the database team when replication lag exceeds 30 s --owner @bob --due 10d")
    await say("!postmortem publish")
    html = (tmp_path / "postmortems" / "INC-1-postmortem.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; in summary" in html


async def test_blame_can_be_published_only_with_a_reason_on_record(chat: Harness, tmp_path: Path) -> None:
    await incident(chat)
    say = lambda text, user="alice": chat.reply(text, user=user, room=ROOM)  # noqa: E731
    await say("!postmortem start")
    for section in ("summary", "impact", "contributing", "went-well"):
        await say(f"!postmortem set {section} written")
    await say("!postmortem set root-cause Bob should have checked the pool size.")
    await say(
        "!action add Check pool size against connection count in the deploy pipeline --owner @bob --due 2w"
    )
    published = await say('!postmortem publish --override "quoted from the chat log, reviewed with Bob"')
    assert published.startswith(
        "INC-1 postmortem published (blameless check overridden: quoted from the chat log, reviewed with Bob)"
    )


async def test_postmortem_bad_input_changes_nothing(chat: Harness) -> None:
    await incident(chat)
    say = lambda text, user="alice": chat.reply(text, user=user, room=ROOM)  # noqa: E731
    assert "has no postmortem yet: !postmortem start" in await say("!postmortem set summary x")
    await say("!postmortem start")
    assert (await say("!postmortem start")).startswith("INC-1 already has a draft")
    assert "no section 'timeline'" in await say("!postmortem set timeline x")
    assert "Only the Incident Commander (@alice) or an admin can publish postmortems." == await say(
        "!postmortem publish", user="dave"
    )


async def test_action_items_must_be_specific_owned_dated_and_few(chat: Harness) -> None:
    await incident(chat)
    say = lambda text, user="alice": chat.reply(text, user=user, room=ROOM)  # noqa: E731
    for bad, answer in [
        (
            "!action add improve monitoring for the checkout service --owner @bob --due 2w",
            "says what to get better at",
        ),
        ("!action add be more careful --owner @bob --due 2w", "is too short to act on"),
        ("!action add Add an alert on pool usage above 80% --due 2w", "needs an owner and a due date"),
        ("!action add Add an alert on pool usage above 80% --owner @bob", "needs an owner and a due date"),
        ("!action add Add an alert on pool usage above 80% --owner @bob --due 2026-03-01", "is in the past"),
        ("!action add Add an alert on pool usage above 80% --owner @bob --due soon", "not a date: 'soon'"),
        ("!action done AI-9", "There is no action item AI-9."),
    ]:
        assert answer in await say(bad), bad
    assert await chat.reply("!actions") == "Open action items: none."
    for n in range(3):
        await say(f"!action add Add alert number {n} on pool usage above 80% --owner @bob --due 2w")
    capped = await say("!action add Add a dashboard panel for pool usage per host --owner @bob --due 2w")
    assert capped.startswith("INC-1 already has 3 open action items: prioritise.")
    assert (
        await say("!action done AI-1", user="bob") == "AI-1 done: Add alert number 0 on pool usage above 80%"
    )
    assert "AI-1 is already done." in await say("!action done AI-1")
    assert await say("!action drop AI-2 covered by AI-3") == "AI-2 dropped: covered by AI-3"
    mine = await chat.reply("!actions mine", user="bob")
    assert mine == (
        "Your open action items:\n  AI-3 (INC-1) Add alert number 2 on pool usage above 80% — @bob, due 2026-03-16"
    )


async def test_overdue_action_items_remind_their_owner(chat: Harness) -> None:
    await incident(chat)
    await chat.advance("30m")
    await chat.say("!incident resolve", user="alice", room=ROOM)  # no more update reminders to fire
    await chat.say(
        "!action add Alert when the connection pool is above 80% for 5 minutes --owner @bob --due 2d",
        user="alice",
        room=ROOM,
    )
    sent = await chat.advance("2d")  # 2026-03-04 09:00 UTC is the reminder time
    reminders = [m.text for m in sent if m.room == "@bob"]
    assert reminders and reminders[0].startswith("⏰ Action item AI-1 (INC-1) is due today:")
    sent = await chat.advance("7d")
    assert any("is due since 2026-03-04" in m.text for m in sent if m.room == "@bob")
    assert "⏰ overdue" in await chat.reply("!actions overdue")
    await chat.say("!action done AI-1", user="bob", room=ROOM)
    assert not [m for m in await chat.advance("8d") if m.room == "@bob"]


async def test_the_draft_can_be_shown_before_anything_is_written(chat: Harness) -> None:
    await incident(chat)
    await chat.say("!postmortem start", user="alice", room=ROOM)
    shown = await chat.reply("!postmortem show", user="dave", room=ROOM)
    assert shown.startswith("# INC-1 postmortem: Checkout API errors\n")
    assert "## Summary\n\n_To be written._" in shown and shown.endswith(
        "• Action items: !action add <specific change> --owner @person --due <date>"
    )


async def test_what_people_wrote_cannot_break_the_markdown(chat: Harness, tmp_path: Path) -> None:
    await incident(chat)
    say = lambda text, user="alice": chat.reply(text, user=user, room=ROOM)  # noqa: E731
    await say("!postmortem start")
    for section in ("impact", "root-cause", "contributing", "went-well"):
        await say(f"!postmortem set {section} written")
    await say("!postmortem set summary <img src=x onerror=alert(1)> pool | exhausted")
    await say("!action add Alert when pool usage | latency is above 80% for 5 minutes --owner @bob --due 10d")
    await say("!postmortem publish")
    markdown = (tmp_path / "postmortems" / "INC-1-postmortem.md").read_text()
    assert "&lt;img src=x onerror=alert(1)&gt; pool | exhausted" in markdown and "<img" not in markdown
    assert "| AI-1 | Alert when pool usage \\| latency is above 80% for 5 minutes | bob |" in markdown


async def test_action_items_are_closed_by_their_people_and_private_ones_stay_private(chat: Harness) -> None:
    await incident(chat)
    await chat.say(
        "!action add Alert when pool usage is above 80% for 5 minutes --owner @bob --due 10d",
        user="alice",
        room=ROOM,
    )
    refused = await chat.reply("!action done AI-1", user="mallory", room=ROOM)
    assert refused.startswith("AI-1 is @bob's; only they, whoever added it, the Incident Commander")
    assert (
        await chat.reply("!action done AI-1", user="bob")
        == "AI-1 done: Alert when pool usage is above 80% for 5 minutes"
    )
    assert "is not an action item" in await chat.reply("!action done AI-99999999999999999999", user="bob")

    await chat.say('!incident declare "Payroll export leaked" --sev 2 --private', user="alice")
    await chat.say(
        "!action add Encrypt payroll exports at rest with the KMS key --owner @alice --due 10d",
        user="alice",
        room="inc-2-payroll-export-leaked",
    )
    assert await chat.reply("!actions", user="mallory") == "Open action items: none."
