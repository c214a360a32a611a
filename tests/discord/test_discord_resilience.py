"""Discord drops connections and rate-limits; chatops resumes, keeps its buttons, drops nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from discord_bot import DiscordBot
from fake_discord import ALICE, BOT_ID, OPS_ID, RESUME, FakeDiscord

from chatops.models.chat import MessageRef
from chatops.models.content import as_content
from chatops.transports.base import TransportError


async def declared_room(fake: FakeDiscord, title: str = "DB down") -> tuple[str, str]:
    await fake.interact(fake.slash("incident", ALICE, "declare", title=title))
    room = await fake.wait_for(lambda: fake.channel_named("inc-1-db-down"))
    await fake.wait_for(lambda: room.pins)
    return room.id, room.pins[0]


async def test_the_bot_resumes_after_the_gateway_drops_and_keeps_answering(
    discord_server: FakeDiscord, bot: DiscordBot
) -> None:
    fake = discord_server
    room_id, _ = await declared_room(fake)
    await fake.drop()
    await fake.ready()  # discord.py reconnected …
    assert any(m.get("op") == RESUME for m in fake.gateway_log)  # … and resumed its session
    await fake.interact(fake.slash("incident", ALICE, "note", room_id, text="restarted the primary"))
    room = fake.channels[room_id]
    await fake.wait_for(lambda: any(t.startswith("Noted on INC-1") for t in room.texts()))


async def test_a_button_from_before_a_restart_still_works(
    discord_server: FakeDiscord, bot: DiscordBot
) -> None:
    fake = discord_server
    room_id, status_id = await declared_room(fake)
    status = fake.channels[room_id].messages[status_id]
    mitigated = status.buttons()["Mitigated"]
    await bot.restart()
    await fake.ready()
    await fake.interact(fake.press(room_id, status_id, mitigated, ALICE))
    room = fake.channels[room_id]
    await fake.wait_for(lambda: any(t.startswith("INC-1 is mitigated") for t in room.texts()))


async def test_an_unknown_button_is_answered_not_ignored(
    discord_server: FakeDiscord, bot: DiscordBot
) -> None:
    fake = discord_server
    pressed = await fake.interact(fake.press(OPS_ID, "1", "someone-elses:button", ALICE))
    (response,) = pressed.responses
    assert response["type"] == 4 and response["data"]["flags"] == 64
    assert "not known to chatops" in response["data"]["content"]


async def test_an_event_discord_py_cannot_read_does_not_leave_the_bot_deaf(
    discord_server: FakeDiscord, bot: DiscordBot
) -> None:
    fake = discord_server
    broken = fake.slash("incident", ALICE, "list")
    broken["channel"] = {"id": "77", "type": 0, "permission_overwrites": [{"type": 0}]}  # no id: unparseable
    await fake.dispatch("INTERACTION_CREATE", broken)
    await fake.wait_for(lambda: fake.connections == 2)  # the connection loop died and was restarted
    await fake.ready()
    answered = await fake.interact(fake.slash("incident", ALICE, "list"))
    assert answered.responses


async def test_a_rate_limited_burst_arrives_complete_and_in_order(
    discord_server: FakeDiscord, bot: DiscordBot
) -> None:
    assert bot.app is not None
    fake = discord_server
    fake.limits["POST /channels/{id}/messages"] = 3
    lines = [f"line {i}" for i in range(10)]
    refs = await asyncio.gather(*(bot.app.outbound.send(f"discord:{OPS_ID}", line) for line in lines))
    assert all(isinstance(ref, MessageRef) for ref in refs)
    assert fake.throttled > 0
    assert fake.channels[OPS_ID].texts() == lines


async def test_commands_are_handled_in_the_order_they_were_typed_even_when_a_name_is_slow(
    discord_server: FakeDiscord, bot: DiscordBot
) -> None:
    fake = discord_server
    fake.add_user("1000000000000000009", "carol")
    fake.latency_s["GET /users/{id}"] = 0.3
    await fake.dispatch("MESSAGE_CREATE", fake.message("!help incident <@1000000000000000009>", ALICE))
    await fake.dispatch("MESSAGE_CREATE", fake.message("!help", ALICE))
    ops = fake.channels[OPS_ID]
    await fake.wait_for(lambda: len([m for m in ops.messages.values() if m.author == BOT_ID]) == 2)
    answers = [m.content or m.embeds[0]["description"] for m in ops.messages.values() if m.author == BOT_ID]
    assert answers[0].startswith("!incident — ") and answers[1].startswith("Commands")


async def test_a_wrong_token_is_a_clear_error(discord_server: FakeDiscord, tmp_path: Path) -> None:
    runner = DiscordBot(discord_server, tmp_path, [], token="not-the-token")
    with pytest.raises(TransportError, match="refused the bot token"):
        await runner.start()


async def test_text_commands_without_the_message_content_intent_is_a_clear_error(
    discord_server: FakeDiscord, tmp_path: Path
) -> None:
    discord_server.message_content_allowed = False
    runner = DiscordBot(discord_server, tmp_path, [], text_commands=True)
    with pytest.raises(TransportError, match="Message Content intent is not enabled"):
        await runner.start()


async def test_an_outbox_message_sent_again_with_its_nonce_is_posted_once(
    discord_server: FakeDiscord, bot: DiscordBot
) -> None:
    """Discord returns the first message for a repeated nonce with ``enforce_nonce``: a retry of a
    message whose answer was lost (or a replica's after a takeover) posts nothing new."""
    fake = discord_server
    assert bot.app is not None
    discord = bot.app.transports["discord"]
    room = f"discord:{OPS_ID}"
    first = await discord.send(room, as_content("only once"), None, "co7.18f2a")
    again = await discord.send(room, as_content("only once"), None, "co7.18f2a")
    other = await discord.send(room, as_content("only once"), None, "co8.18f2a")
    assert first == again and other != first
    assert fake.channels[OPS_ID].texts().count("only once") == 2
