"""Mistakes get the console's answer privately; intents stay minimal; the HTTP endpoint checks Ed25519."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import chatops_runbooks
import pytest
import pytest_asyncio
from aiohttp import ClientSession
from chatops_tests_contract import FLAG_ASK, FLAG_DONE, FLAGS_PLUGIN, RICH
from discord_bot import DiscordBot
from fake_discord import ALICE, BOB, OPS_ID, FakeDiscord
from flag_service import FLAG, Call, FlagService
from nacl.signing import SigningKey
from test_discord_lifecycle import said

from chatops.models.chat import MessageRef, Room
from chatops.testing import Harness

MESSAGE_CONTENT, GUILD_MESSAGES = 1 << 15, 1 << 9


@pytest.mark.parametrize(
    ("sub", "values", "typed"),
    [
        ("declare", {"title": "DB down", "sev": "9"}, '!incident declare "DB down" --sev 9'),
        (
            "declare",
            {"title": "DB down", "started": "tomorrow-ish"},
            '!incident declare "DB down" --started tomorrow-ish',
        ),
        ("sev", {"level": "1"}, "!incident sev 1"),
    ],
)
async def test_a_mistake_gets_the_consoles_answer_privately(
    discord_server: FakeDiscord, bot: DiscordBot, chat: Harness, sub: str, values: dict[str, str], typed: str
) -> None:
    on_console = await chat.reply(typed)
    answered = await discord_server.interact(discord_server.slash("incident", ALICE, sub, **values))
    assert answered.responses == [{"type": 5, "data": {"flags": 64}}]  # "thinking…", only to alice
    await discord_server.wait_for(lambda: answered.original)
    assert answered.original["content"] == on_console
    await bot.idle()
    assert not answered.deleted and not discord_server.channels[OPS_ID].messages


async def test_intents_ask_for_message_content_only_with_text_commands(
    discord_server: FakeDiscord, tmp_path: Path
) -> None:
    intents = {}
    for text_commands in (False, True):
        runner = DiscordBot(discord_server, tmp_path / str(text_commands), [], text_commands=text_commands)
        (tmp_path / str(text_commands)).mkdir()
        await runner.start()
        intents[text_commands] = discord_server.identify()["intents"]
        await runner.stop()
    assert not intents[False] & (MESSAGE_CONTENT | GUILD_MESSAGES)
    assert intents[True] & MESSAGE_CONTENT and intents[True] & GUILD_MESSAGES


async def test_a_console_plugin_runs_in_discord_unchanged(
    discord_server: FakeDiscord, tmp_path: Path
) -> None:
    links = {"runbooks": {"links": {"checkout-api": "https://wiki.example.org/runbooks/checkout"}}}
    runner = DiscordBot(discord_server, tmp_path, [("runbooks", chatops_runbooks)], config=links)
    await runner.start()
    try:
        registered = {c["name"] for c in discord_server.commands["guilds/1000000000000000003/commands"]}
        assert "runbook" in registered
        await discord_server.interact(discord_server.slash("runbook", ALICE, "show", service="checkout-api"))
        ops = discord_server.channels[OPS_ID]
        await discord_server.wait_for(
            lambda: any(t.startswith("Runbook for checkout-api") for t in ops.texts())
        )
    finally:
        await runner.stop()


async def test_the_flags_plugin_asks_and_its_confirm_button_turns_the_flag_off(
    discord_server: FakeDiscord, flag_service: FlagService, tmp_path: Path
) -> None:
    runner = DiscordBot(discord_server, tmp_path, FLAGS_PLUGIN, config=flag_service.config())
    await runner.start()
    try:
        await discord_server.interact(discord_server.slash("flag", ALICE, "off", flag=FLAG))
        ops = discord_server.channels[OPS_ID]
        asked = await discord_server.wait_for(lambda: said(ops, FLAG_ASK))
        assert flag_service.calls == []
        await discord_server.interact(
            discord_server.press(OPS_ID, asked.id, asked.buttons()["Confirm"], ALICE)
        )
        await discord_server.wait_for(lambda: said(ops, FLAG_DONE))
        await runner.idle()
        assert flag_service.calls == [Call("PUT", FLAG, {"enabled": False})]
    finally:
        await runner.stop()


async def test_discord_honours_the_transport_contract(discord_server: FakeDiscord, bot: DiscordBot) -> None:
    transport = bot.transport
    user = transport.resolve_mention(f"<@{ALICE}>")
    assert user is not None and user.id == f"discord:{ALICE}"
    assert transport.resolve_mention(f"<@!{BOB}>") is not None
    assert transport.resolve_mention("alice") is None

    room = await transport.create_room(
        "INC-7 DB down!", "INC-7 · Sev1", private=True, invite=[user], origin_room_id=f"discord:{OPS_ID}"
    )
    assert (
        isinstance(room, Room)
        and room.transport == "discord"
        and room.private
        and room.name == "inc-7-db-down"
    )
    channel = discord_server.channels[room.id.split(":", 1)[1]]
    everyone = channel.overwrites["1000000000000000003"]
    assert int(everyone["deny"]) & (1 << 10)  # private: @everyone cannot view
    assert int(channel.overwrites[ALICE]["allow"]) & (1 << 10)
    ref = await transport.send(room.id, RICH, None)
    assert isinstance(ref, MessageRef) and ref.room_id == room.id
    posted = channel.messages[ref.id]
    assert posted.content == "Incident Commander: @alice"
    assert posted.embeds[0]["fields"][0] == {"name": "Severity", "value": "Sev1", "inline": True}
    assert posted.buttons() == {"Acknowledge": "page.ack:17"}
    await transport.set_topic(room.id, "INC-7 · Sev1 · mitigated")
    await discord_server.wait_for(lambda: channel.topic == "INC-7 · Sev1 · mitigated")
    direct = await transport.direct_room(user)
    assert direct.direct and (await transport.direct_room(user)).id == direct.id


@pytest_asyncio.fixture
async def http_bot(
    discord_server: FakeDiscord, tmp_path: Path
) -> AsyncIterator[tuple[DiscordBot, SigningKey]]:
    key = SigningKey.generate()
    runner = DiscordBot(
        discord_server, tmp_path, [], interactions="http", public_key=key.verify_key.encode().hex()
    )
    await runner.start()
    yield runner, key
    await runner.stop()


async def post(
    url: str, payload: dict[str, object], key: SigningKey, *, stamp: int | None = None
) -> tuple[int, str]:
    body = json.dumps(payload).encode()
    timestamp = str(int(time.time()) if stamp is None else stamp)
    signature = key.sign(timestamp.encode() + body).signature.hex()
    headers = {
        "X-Signature-Ed25519": signature,
        "X-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }
    async with ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        return response.status, await response.text()


async def test_the_http_endpoint_verifies_ed25519_and_answers_first(
    discord_server: FakeDiscord, http_bot: tuple[DiscordBot, SigningKey]
) -> None:
    bot, key = http_bot
    assert await post(bot.url, {"id": "1", "token": "t", "type": 1}, key) == (200, '{"type": 1}')
    declare = discord_server.slash("incident", ALICE, "declare", title="DB down")
    assert (await post(bot.url, declare, SigningKey.generate()))[0] == 401
    assert (await post(bot.url, declare, key, stamp=int(time.time()) - 600))[0] == 401
    await bot.idle()
    assert discord_server.channel_named("inc-1-db-down") is None

    status, body = await post(bot.url, declare, key)
    assert status == 200 and json.loads(body) == {"type": 5, "data": {"flags": 64}}
    await discord_server.wait_for(lambda: discord_server.channel_named("inc-1-db-down"))
    bare = await post(bot.url, discord_server.slash("incident", ALICE, "declare"), key)
    assert json.loads(bare[1])["type"] == 9  # the modal is the HTTP answer itself


async def test_incident_channels_go_in_the_category_and_let_the_responders_in(
    discord_server: FakeDiscord, tmp_path: Path
) -> None:
    runner = DiscordBot(discord_server, tmp_path, [], incident_category_id=777, responders=[888])
    await runner.start()
    try:
        await discord_server.interact(
            discord_server.slash("incident", ALICE, "declare", title="DB down", private=True)
        )
        room = await discord_server.wait_for(lambda: discord_server.channel_named("inc-1-db-down"))
        assert room.parent_id == "777"
        assert int(room.overwrites["888"]["allow"]) & (1 << 10) and room.overwrites["888"]["type"] == 0
        assert int(room.overwrites["1000000000000000003"]["deny"]) & (1 << 10)  # private
    finally:
        await runner.stop()
