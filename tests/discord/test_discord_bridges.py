"""Two Discord channels bridged into one conversation: what a person types in one shows up in the
other, once, with their name; their edits and deletions follow (also of messages sent before a
restart, which discord.py has not cached); the bot answers in both.  Through the real discord.py
against a local Discord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from discord_bot import DiscordBot
from fake_discord import ALICE, BOB, BOT_ID, GUILD_ID, OPS_ID, Channel, FakeDiscord, Posted

from chatops.models.chat import Message

WAR_ROOM, RANDOM = "1000000000000000101", "1000000000000000102"


def bots(channel: Channel) -> list[Posted]:
    return [m for m in channel.messages.values() if m.author == BOT_ID]


def text(posted: Posted) -> str:
    return posted.content or posted.embeds[0]["description"]


@pytest_asyncio.fixture
async def bridged(
    discord_server: FakeDiscord, tmp_path: Path, chatops_plugins: list[tuple[str, object]]
) -> AsyncIterator[DiscordBot]:
    """chatops with #ops and #war-room bridged (and #random not)."""
    for channel_id, name in ((WAR_ROOM, "war-room"), (RANDOM, "random")):
        discord_server.channels[channel_id] = Channel(channel_id, name, GUILD_ID)
    runner = DiscordBot(discord_server, tmp_path, chatops_plugins, config={"bridging": {"enabled": True}})
    app = await runner.start()
    await app.db.write(lambda tx: app.bridges.link(tx, f"discord:{OPS_ID}", f"discord:{WAR_ROOM}"))
    yield runner
    await runner.stop()


async def test_what_a_person_says_edits_and_deletes_follows_into_the_other_channel(
    discord_server: FakeDiscord, bridged: DiscordBot
) -> None:
    fake = discord_server
    ops, war_room = fake.channels[OPS_ID], fake.channels[WAR_ROOM]
    said = fake.message(f"checkout pods restarting, <@{BOB}> can you look?", ALICE)
    await fake.dispatch("MESSAGE_CREATE", said)
    copy = await fake.wait_for(lambda: next(iter(bots(war_room)), None))
    assert text(copy) == "alice (Discord): checkout pods restarting, @bob can you look?"
    await fake.dispatch("MESSAGE_CREATE", said)  # the gateway replaying it after a resume
    await bridged.idle()
    assert len(bots(war_room)) == 1 and bots(ops) == []  # once, and never back where it was typed

    await bridged.restart()  # the original is no longer in discord.py's cache
    await fake.dispatch("MESSAGE_UPDATE", fake.edit(OPS_ID, said["id"], "checkout pods restarted"))
    await fake.wait_for(lambda: copy.edits == 1)
    assert text(copy) == "alice (Discord): checkout pods restarted"

    await fake.dispatch("MESSAGE_DELETE", fake.delete(OPS_ID, said["id"]))
    await fake.wait_for(lambda: copy.id not in war_room.messages)
    deleted = [path for method, path, _ in fake.calls if method == "DELETE" and path.startswith("/channels/")]
    assert deleted == [f"/channels/{WAR_ROOM}/messages/{copy.id}"]


async def test_chatter_in_a_channel_without_a_bridge_is_not_delivered(
    discord_server: FakeDiscord, bridged: DiscordBot
) -> None:
    fake = discord_server
    assert bridged.app is not None
    delivered: list[Message] = []
    handle = bridged.app.dispatcher.handle

    async def recording(message: Message) -> None:
        delivered.append(message)
        await handle(message)

    bridged.app.dispatcher.handle = recording  # type: ignore[method-assign]
    await fake.dispatch("MESSAGE_CREATE", fake.message("lunch?", ALICE, RANDOM))
    on_it = fake.message("on it", ALICE)
    await fake.dispatch("MESSAGE_CREATE", on_it)
    await fake.wait_for(lambda: delivered)
    await bridged.idle()
    (message,) = delivered  # #random's chatter never reached the dispatcher
    assert (message.room.id, message.text, message.said) == (f"discord:{OPS_ID}", "on it", "on it")
    assert message.message_id == on_it["id"]  # the snowflake edits and deletions name it by
    assert bots(fake.channels[RANDOM]) == []


async def test_a_command_in_a_bridged_channel_is_mirrored_and_answered_in_both(
    discord_server: FakeDiscord, bridged: DiscordBot
) -> None:
    fake = discord_server
    ops, war_room = fake.channels[OPS_ID], fake.channels[WAR_ROOM]
    await fake.dispatch("MESSAGE_CREATE", fake.message("!incident list", ALICE))
    answer = await fake.wait_for(lambda: next(iter(bots(ops)), None))
    assert text(answer).startswith("No open incidents.")
    await fake.wait_for(lambda: len(bots(war_room)) == 2)
    copy, answered = bots(war_room)
    assert text(copy) == "alice (Discord): !incident list"  # what was typed first, then the answer
    assert text(answered) == text(answer) and len(bots(ops)) == 1


async def test_without_the_message_content_intent_a_channel_cannot_join_a_bridge(
    discord_server: FakeDiscord, tmp_path: Path
) -> None:
    runner = DiscordBot(
        discord_server, tmp_path, [], config={"bridging": {"enabled": True}}, text_commands=False
    )
    app = await runner.start()
    try:
        transport = app.transports["discord"]
        assert not transport.capabilities.reads_messages and transport.capabilities.deletes
        refusal = app.bridges.refusal(transport, encrypted_origin=False)
        assert refusal is not None and "message content intent" in refusal
    finally:
        await runner.stop()
