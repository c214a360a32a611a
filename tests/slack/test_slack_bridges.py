"""Two Slack channels bridged into one conversation: what a person types in one shows up in the
other, once, with their name; their edits and deletions follow; the bot answers in both.  Through
the real slack-sdk against a local Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from fake_slack import BOT_USER, Channel, FakeSlack, Posted
from slack_bot import ALICE, BOB, SlackBot

from chatops.models.chat import Message

GENERAL, WAR_ROOM, RANDOM = "C0GENERAL", "C0WARROOM", "C0RANDOM1"


def bots(channel: Channel) -> list[Posted]:
    return [m for m in channel.messages.values() if m.user == BOT_USER]


@pytest_asyncio.fixture
async def bridged(
    slack: FakeSlack, tmp_path: Path, chatops_plugins: list[tuple[str, object]]
) -> AsyncIterator[SlackBot]:
    """chatops with #general and #war-room bridged (and #random not)."""
    slack.add_channel(WAR_ROOM, "war-room", members=[BOT_USER, ALICE, BOB])
    slack.add_channel(RANDOM, "random", members=[BOT_USER, ALICE, BOB])
    runner = SlackBot(slack, tmp_path, chatops_plugins, config={"bridging": {"enabled": True}})
    app = await runner.start()
    await app.db.write(lambda tx: app.bridges.link(tx, f"slack:{GENERAL}", f"slack:{WAR_ROOM}"))
    yield runner
    await runner.stop()


async def test_what_a_person_says_edits_and_deletes_follows_into_the_other_channel(
    slack: FakeSlack, bridged: SlackBot
) -> None:
    general, war_room = slack.channels[GENERAL], slack.channels[WAR_ROOM]
    said = slack.message_event(f"checkout pods restarting, <@{BOB}> can you look?", ALICE, GENERAL)
    await slack.push("events_api", said)
    copy = await slack.wait_for(lambda: next(iter(bots(war_room)), None))
    assert copy.text == "alice (Slack): checkout pods restarting, @bob can you look?"
    await slack.push("events_api", said, retry_attempt=1)  # Slack delivering it again
    await bridged.idle()
    assert len(bots(war_room)) == 1 and bots(general) == []  # once, and never back where it was typed

    original = said["event"]["ts"]
    await slack.push("events_api", slack.edit_event(GENERAL, original, "checkout pods restarted"))
    await slack.wait_for(lambda: copy.edits == 1)
    assert copy.text == "alice (Slack): checkout pods restarted"
    assert slack.called("chat.update")[-1]["ts"] == copy.ts

    await slack.push("events_api", slack.delete_event(GENERAL, original))
    await slack.wait_for(lambda: copy.ts not in war_room.messages)
    assert [c["ts"] for c in slack.called("chat.delete")] == [copy.ts]


async def test_a_thread_reply_is_mirrored_into_the_thread_of_the_copy(
    slack: FakeSlack, bridged: SlackBot
) -> None:
    war_room = slack.channels[WAR_ROOM]
    root = slack.message_event("db latency is up", ALICE, GENERAL)
    await slack.push("events_api", root)
    root_copy = await slack.wait_for(lambda: next(iter(bots(war_room)), None))
    await slack.push("events_api", slack.message_event("it's the replica", BOB, GENERAL, root["event"]["ts"]))
    reply = await slack.wait_for(lambda: next((m for m in bots(war_room) if m.thread_ts), None))
    assert reply.text == "bob (Slack): it's the replica" and reply.thread_ts == root_copy.ts


async def test_chatter_in_a_channel_without_a_bridge_is_not_delivered(
    slack: FakeSlack, bridged: SlackBot
) -> None:
    assert bridged.app is not None
    delivered: list[Message] = []
    handle = bridged.app.dispatcher.handle

    async def recording(message: Message) -> None:
        delivered.append(message)
        await handle(message)

    bridged.app.dispatcher.handle = recording  # type: ignore[method-assign]
    await slack.push("events_api", slack.message_event("lunch?", ALICE, RANDOM))
    await slack.push("events_api", slack.message_event("on it", ALICE, GENERAL))
    await bridged.idle()
    (message,) = delivered  # #random's chatter never reached the dispatcher
    typed = next(ts for ts, m in slack.channels[GENERAL].messages.items() if m.text == "on it")
    assert (message.room.id, message.text, message.said) == (f"slack:{GENERAL}", "on it", "on it")
    assert message.message_id == typed  # the ts edits and deletions name it by
    assert bots(slack.channels[RANDOM]) == []


async def test_a_command_in_a_bridged_channel_is_mirrored_and_answered_in_both(
    slack: FakeSlack, bridged: SlackBot
) -> None:
    general, war_room = slack.channels[GENERAL], slack.channels[WAR_ROOM]
    await slack.push("events_api", slack.message_event("!incident list", ALICE, GENERAL))
    answer = await slack.wait_for(lambda: next(iter(bots(general)), None))
    assert answer.text.startswith("No open incidents.")
    await slack.wait_for(lambda: len(bots(war_room)) == 2)
    copy, answered = bots(war_room)
    assert copy.text == "alice (Slack): !incident list"  # what was typed first, then the answer
    assert answered.text == answer.text and len(bots(general)) == 1


async def test_without_text_commands_a_channel_cannot_join_a_bridge(slack: FakeSlack, tmp_path: Path) -> None:
    runner = SlackBot(slack, tmp_path, [], config={"bridging": {"enabled": True}}, text_commands=False)
    app = await runner.start()
    try:
        transport = app.transports["slack"]
        assert not transport.capabilities.reads_messages and transport.capabilities.deletes
        refusal = app.bridges.refusal(transport, encrypted_origin=False)
        assert refusal is not None and "transports.slack.text_commands" in refusal
    finally:
        await runner.stop()
