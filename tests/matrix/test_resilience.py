"""Restarts of the bot and of the homeserver, bad input, and rate limits — against a real Synapse."""

from __future__ import annotations

import logging
import re

import pytest
from conftest import Bot, People
from nio import MessageDirection, RoomMessageNotice, RoomMessagesResponse
from people import Person
from synapse_server import Synapse
from test_lifecycle import lobby_with_bot

from chatops.models.content import as_content
from chatops.storage.db import Tx


async def incident_room(alice: Person, bot: Bot, lobby: str) -> str:
    await alice.reply_to(lobby, '!incident declare "Search is slow" --sev 2', bot.user_id)
    room = await alice.join_invited("INC-1 · Search is slow")
    await alice.wait_for(lambda: alice.notices(room, bot.user_id))  # the status message
    return room


def count(person: Person, room: str, bot: Bot, pattern: str) -> int:
    return sum(1 for n in person.notices(room, bot.user_id) if re.search(pattern, n.body))


async def test_a_restart_replays_nothing_and_answers_what_was_said_meanwhile(
    people: People, bot: Bot
) -> None:
    alice = await people.person("alice")
    lobby = await lobby_with_bot(alice, bot)
    await alice.reply_to(lobby, "!incident declare Disk full --sev 2", bot.user_id)
    assert bot.app is not None
    device = bot.app.transports["matrix"].client.device_id  # type: ignore[attr-defined]

    await bot.stop()
    await alice.say(lobby, "!incident status --id 1")  # said while the bot is down
    app = await bot.start()
    await alice.wait_for(lambda: count(alice, lobby, bot, r"^INC-1 · Sev2 · investigating") == 1)
    assert await alice.reply_to(lobby, "!incident list", bot.user_id) != ""

    assert count(alice, lobby, bot, r"^INC-1 declared") == 1  # nothing replayed
    assert count(alice, lobby, bot, r"^INC-1 · Sev2 · investigating") == 1  # answered once
    assert count(alice, lobby, bot, r"^INC-2") == 0
    assert app.transports["matrix"].client.device_id == device  # type: ignore[attr-defined]


async def test_the_bot_reconnects_after_the_homeserver_restarts(
    people: People, bot: Bot, synapse: Synapse
) -> None:
    alice = await people.person("alice")
    lobby = await lobby_with_bot(alice, bot)
    room = await incident_room(alice, bot, lobby)
    synapse.stop()
    synapse.start()
    reply = await alice.reply_to(room, "!incident note back after the homeserver restart", bot.user_id, 90)
    assert reply == "Noted on INC-1."


async def test_bad_input_gets_the_same_answers_as_on_the_console(people: People, bot: Bot) -> None:
    alice = await people.person("alice")
    mallory = await people.person("mallory")
    lobby = await lobby_with_bot(alice, bot)
    room = await incident_room(alice, bot, lobby)
    assert await alice.reply_to(lobby, "!incdient list", bot.user_id) == (
        'Unknown command "!incdient". Did you mean "!incident"? See !help'
    )
    assert await alice.reply_to(room, "!incident sev 9", bot.user_id) == (
        "Level: '9' is not a severity; use 1-4 (Sev1, Sev2, Sev3, Sev4).\n"
        'Usage: !incident sev <level> [reason] [--id N]   — e.g. !incident sev 1 "revenue impact confirmed"'
    )
    await mallory.client.join(room)
    await mallory.wait_for(lambda: mallory.client.rooms.get(room) is not None)
    refused = await mallory.reply_to(room, '!incident resolve --force "not my call"', bot.user_id)
    assert refused == (
        f"Only the Incident Commander (@{alice.localpart}) or an admin can resolve, force-resolve or reopen an incident."
    )


async def test_commands_addressed_to_the_bot_by_mention_and_in_threads(people: People, bot: Bot) -> None:
    alice = await people.person("alice")
    lobby = await lobby_with_bot(alice, bot)
    room = await incident_room(alice, bot, lobby)
    pill = f'<a href="https://matrix.to/#/{bot.user_id}">chatops</a>: incident note seen by the pill'
    before = len(alice.notices(room, bot.user_id))
    await alice.say(
        room, "chatops: incident note seen by the pill", format="org.matrix.custom.html", formatted_body=pill
    )
    await alice.wait_for(lambda: len(alice.notices(room, bot.user_id)) > before)
    assert alice.notices(room, bot.user_id)[before].body == "Noted on INC-1."

    root = await alice.say(room, "discussing the last update here")
    thread = {"m.relates_to": {"rel_type": "m.thread", "event_id": root}}
    await alice.say(room, "!incident note from the thread", **thread)
    answer = await alice.wait_for(
        lambda: next(
            (
                n
                for n in alice.notices(room, bot.user_id)
                if n.content.get("m.relates_to", {}).get("event_id") == root
            ),
            None,
        )
    )
    assert answer.body == "Noted on INC-1." and answer.content["m.relates_to"]["rel_type"] == "m.thread"


async def test_a_rate_limited_burst_still_arrives_complete_and_in_order(
    people: People, bot: Bot, synapse: Synapse, caplog: pytest.LogCaptureFixture
) -> None:
    alice = await people.person("alice")
    lobby = await lobby_with_bot(alice, bot)
    room = await incident_room(alice, bot, lobby)
    admin = await people.register("root", admin=True)
    await synapse.limit_messages(admin["access_token"], bot.user_id, per_second=2, burst=2)
    with caplog.at_level(logging.WARNING, logger="nio.client.async_client"):
        for i in range(8):
            await alice.say(room, f"!incident tag t{i}")
        await alice.wait_for(lambda: count(alice, room, bot, r"^Tagged INC-1 with t7\.") == 1, 90)
    tagged = [n.body for n in alice.notices(room, bot.user_id) if n.body.startswith("Tagged")]
    assert tagged == [f"Tagged INC-1 with t{i}." for i in range(8)]
    assert "Got 429 response (ratelimited)" in caplog.text


async def history(person: Person, room: str, bot: Bot) -> list[int]:
    """The bot's "step N" messages in the room's full history (a sync after a gap shows only the
    latest few; the history API shows every event)."""
    found: list[int] = []
    response = await person.client.room_messages(room, start="", direction=MessageDirection.front, limit=500)
    assert isinstance(response, RoomMessagesResponse)
    for event in response.chunk:
        if (
            isinstance(event, RoomMessageNotice)
            and event.sender == bot.user_id
            and event.body.startswith("step ")
        ):
            found.append(int(event.body.split()[1]))
    return found


async def test_the_outbox_delivers_what_was_queued_while_the_homeserver_was_down_in_order_once(
    people: People, bot: Bot, synapse: Synapse
) -> None:
    alice = await people.person("alice")
    lobby = await lobby_with_bot(alice, bot)
    app = bot.app
    assert app is not None

    async def queue(numbers: range) -> None:
        async def write(tx: Tx) -> None:
            for n in numbers:
                await app.outbound.queue(tx, f"matrix:{lobby}", f"step {n}")

        await app.db.write(write)

    def steps() -> list[int]:
        return [
            int(n.body.split()[1]) for n in alice.notices(lobby, bot.user_id) if n.body.startswith("step ")
        ]

    await queue(range(200))
    await alice.wait_for(lambda: len(steps()) >= 3)  # sending is under way
    synapse.stop()
    await queue(range(200, 220))  # queued while the homeserver is down
    synapse.start()
    await queue(range(220, 230))
    await alice.wait_for(lambda: 229 in steps(), 180)
    sent = await history(alice, lobby, bot)
    assert sent == list(range(230))  # all of them, in order, each once


async def test_a_message_sent_again_with_its_idempotency_key_is_posted_once(people: People, bot: Bot) -> None:
    alice = await people.person("alice")
    lobby = await lobby_with_bot(alice, bot)
    assert bot.app is not None
    matrix = bot.app.transports["matrix"]
    assert await alice.reply_to(lobby, "!help", bot.user_id) != ""  # the bot knows the room
    first = await matrix.send(f"matrix:{lobby}", as_content("only once"), None, "co1.18f2a")
    again = await matrix.send(f"matrix:{lobby}", as_content("only once"), None, "co1.18f2a")  # a retry
    other = await matrix.send(f"matrix:{lobby}", as_content("only once"), None, "co2.18f2a")
    assert first == again and other != first
    await alice.wait_for(
        lambda: len([n for n in alice.notices(lobby, bot.user_id) if n.body == "only once"]) == 2
    )
    assert await alice.reply_to(lobby, "!help", bot.user_id) != ""  # had a third been posted, it shows by now
    assert len([n for n in alice.notices(lobby, bot.user_id) if n.body == "only once"]) == 2
