"""A Sev3 in Slack is worked in a thread of the channel it was declared in; raised to Sev1 it gets
its own channel, through the real slack-sdk against a local Slack."""

from __future__ import annotations

from fake_slack import Channel, FakeSlack, Posted
from slack_bot import ALICE, SlackBot


def said(channel: Channel, start: str, thread: str | None = None) -> Posted | None:
    return next(
        (m for m in channel.messages.values() if m.text.startswith(start) and m.thread_ts == thread), None
    )


async def test_a_sev3_lives_in_a_thread_until_it_is_raised(slack: FakeSlack, bot: SlackBot) -> None:
    general = slack.channels["C0GENERAL"]
    await slack.push(
        "slash_commands", slack.slash_command("/incident", 'declare "Search is slow" --sev 3', ALICE)
    )
    declared = await slack.wait_for(lambda: said(general, "INC-1 declared"))
    assert "Room: a thread in " in declared.text
    root = await slack.wait_for(lambda: said(general, "INC-1 · Sev3 · investigating"))
    assert slack.channel_named("inc-1-search-is-slow") is None and general.pins == []

    # Typed in the thread, a command is about the incident and is answered in the thread.
    await slack.push(
        "events_api", slack.message_event("!incident note index rebuild started", ALICE, thread_ts=root.ts)
    )
    await slack.wait_for(lambda: said(general, "Noted", thread=root.ts))
    await slack.push(
        "events_api",
        slack.message_event('!incident update "searches take 5 s — rebuilding"', ALICE, thread_ts=root.ts),
    )
    await slack.wait_for(
        lambda: "Impact: searches take 5 s — rebuilding" in root.text
    )  # the root is the status

    await slack.push(
        "events_api", slack.message_event("!incident sev 1 checkout is affected", ALICE, thread_ts=root.ts)
    )
    room = await slack.wait_for(lambda: slack.channel_named("inc-1-search-is-slow"))
    await slack.wait_for(lambda: ALICE in room.members)
    await slack.wait_for(
        lambda: said(general, "INC-1 now has its own room: inc-1-search-is-slow", thread=root.ts)
    )
    await slack.wait_for(lambda: room.pins)
    assert room.messages[room.pins[0]].text.startswith('INC-1 · Sev1 · investigating · "Search is slow"')
    await slack.push("events_api", slack.message_event("!incident note moved here", ALICE, room.id))
    await slack.wait_for(lambda: said(room, "Noted on INC-1."))  # the new channel is the incident's now
