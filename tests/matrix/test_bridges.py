"""Two Matrix rooms bridged into one conversation, on a real Synapse: what a person says in one
shows up in the other once, with their name; their edits and redactions follow; a command is
mirrored and answered in both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from conftest import Bot, People
from nio import RedactionEvent, RoomRedactResponse
from people import Person, Seen
from synapse_server import Synapse


async def room_with_bot(alice: Person, bot: Bot, name: str) -> str:
    """Alice makes a room and invites the bot, which joins because alice may invite it."""
    created = await alice.client.room_create(name=name, invite=[bot.user_id])
    room_id = str(created.room_id)
    await alice.wait_for(
        lambda: any(
            s.room_id == room_id
            and getattr(s.event, "state_key", None) == bot.user_id
            and getattr(s.event, "membership", None) == "join"
            for s in alice.seen
        )
    )
    return room_id


def edits_of(person: Person, room_id: str, event_id: str) -> list[Seen]:
    return [
        s
        for s in person.seen
        if s.room_id == room_id
        and s.content.get("m.relates_to", {}).get("rel_type") == "m.replace"
        and s.content["m.relates_to"].get("event_id") == event_id
    ]


@pytest_asyncio.fixture
async def bot(
    synapse: Synapse, people: People, tmp_path: Path, chatops_plugins: list[tuple[str, object]]
) -> AsyncIterator[Bot]:
    await people.register("chatops")
    runner = Bot(synapse, people, tmp_path, {"bridging": {"enabled": True}}, chatops_plugins)
    await runner.start()
    yield runner
    await runner.stop()


async def test_what_a_person_says_edits_and_redacts_follows_and_commands_are_answered_in_both(
    people: People, bot: Bot
) -> None:
    alice = await people.person("alice")
    bob = people.mxid("bob")
    lobby = await room_with_bot(alice, bot, "ops lobby")
    war_room = await room_with_bot(alice, bot, "war room")
    app = bot.app
    assert app is not None
    transport = app.transports["matrix"]  # this bot does not encrypt (conftest): nor are its rooms
    assert not transport.capabilities.end_to_end_encrypted and not await transport.encrypted(
        f"matrix:{lobby}"
    )
    await app.db.write(lambda tx: app.bridges.link(tx, f"matrix:{lobby}", f"matrix:{war_room}"))

    pill = f'<a href="https://matrix.to/#/{bob}">Bob</a>'
    original = await alice.say(
        lobby,
        "checkout pods restarting, Bob can you look?",
        format="org.matrix.custom.html",
        formatted_body=f"checkout pods restarting, {pill} can you look?",
    )
    copy = await alice.wait_for(lambda: next(iter(alice.notices(war_room, bot.user_id)), None))
    name = alice.localpart
    assert copy.body == f"{name} (Matrix): checkout pods restarting, @{bob[1:].split(':')[0]} can you look?"

    edit = {"msgtype": "m.text", "body": "checkout pods restarted"}
    await alice.say(
        lobby,
        "* checkout pods restarted",
        **{"m.new_content": edit, "m.relates_to": {"rel_type": "m.replace", "event_id": original}},
    )
    edited = await alice.wait_for(lambda: next(iter(edits_of(alice, war_room, copy.event.event_id)), None))
    assert edited.content["m.new_content"]["body"] == f"{name} (Matrix): checkout pods restarted"

    redacted = await alice.client.room_redact(lobby, original)
    assert isinstance(redacted, RoomRedactResponse), redacted
    await alice.wait_for(
        lambda: any(
            isinstance(s.event, RedactionEvent) and s.event.redacts == copy.event.event_id for s in alice.seen
        )
    )

    await alice.say(lobby, "!incident list")
    answer = await alice.wait_for(
        lambda: next((n for n in alice.notices(lobby, bot.user_id) if "No open incidents" in n.body), None)
    )
    await alice.wait_for(lambda: len(alice.notices(war_room, bot.user_id)) == 3)
    _, mirrored, answered = alice.notices(war_room, bot.user_id)
    assert [mirrored.body, answered.body] == [f"{name} (Matrix): !incident list", answer.body]
    assert len(alice.notices(lobby, bot.user_id)) == 1  # the answer, and nothing mirrored back
