"""The console's incident lifecycle, on a real Synapse, driven by people using plain matrix-nio."""

from __future__ import annotations

from conftest import Bot, People
from nio import RoomGetStateEventResponse, RoomMessageNotice
from people import Person


async def lobby_with_bot(alice: Person, bot: Bot) -> str:
    """Alice makes a lobby and invites the bot, which joins because alice may invite it."""
    created = await alice.client.room_create(name="ops lobby", invite=[bot.user_id])
    room_id = created.room_id
    await alice.wait_for(
        lambda: any(
            s.room_id == room_id
            and getattr(s.event, "state_key", None) == bot.user_id
            and getattr(s.event, "membership", None) == "join"
            for s in alice.seen
        )
    )
    return str(room_id)


async def state(person: Person, room_id: str, event_type: str) -> dict[str, object]:
    response = await person.client.room_get_state_event(room_id, event_type)
    assert isinstance(response, RoomGetStateEventResponse), response
    return dict(response.content)


async def test_an_incident_from_declaration_to_resolution(people: People, bot: Bot) -> None:
    alice = await people.person("alice")
    bob = await people.person("bob")
    lobby = await lobby_with_bot(alice, bot)

    declared = await alice.reply_to(lobby, '!incident declare "Checkout API errors" --sev 2', bot.user_id)
    assert declared.startswith('INC-1 declared · Sev2 · "Checkout API errors"')
    assert f"IC @{alice.localpart}" in declared

    room = await alice.join_invited("INC-1 · Checkout API errors")
    canonical = await state(alice, room, "m.room.canonical_alias")
    assert str(canonical["alias"]).startswith("#inc-1-checkout-api-errors:")
    power = await state(alice, room, "m.room.power_levels")
    assert power["users"][alice.user_id] == 50  # type: ignore[index]
    pinned = (await state(alice, room, "m.room.pinned_events"))["pinned"]
    status = await alice.wait_for(lambda: next((s for s in alice.notices(room, bot.user_id)), None))
    status_id = status.event.event_id
    assert status_id in pinned  # pinned with it, once posted: the meeting link (a Sev2)
    assert status.body.startswith('INC-1 · Sev2 · investigating · "Checkout API errors"')

    sev = await alice.reply_to(room, "!incident sev 1 revenue impact confirmed", bot.user_id)
    assert sev.startswith("INC-1 severity Sev2 → Sev1 (revenue impact confirmed).")
    topic = await state(alice, room, "m.room.topic")
    assert topic["topic"] == f"INC-1 · Sev1 · investigating · Checkout API errors · IC @{alice.localpart}"

    role = await alice.reply_to(room, f"!incident role tech-lead {bob.user_id}", bot.user_id)
    assert role == f"@{bob.localpart} is now Tech Lead of INC-1."
    dm = await bob.join_invited("")  # the instructions come by direct message
    await bob.wait_for(
        lambda: any(
            s.body.startswith("You are now Tech Lead of INC-1.") for s in bob.notices(dm, bot.user_id)
        )
    )

    update = await alice.reply_to(
        room,
        '!incident update "checkout failing for ~30% — rolling back — next update in 15 min"',
        bot.user_id,
    )
    assert update.startswith("Update posted to INC-1.")
    edited = await alice.wait_for(lambda: _latest_edit(alice, room, status_id))
    assert "Impact: checkout failing for ~30% — rolling back — next update in 15 min" in edited

    mitigated = await alice.reply_to(room, "!incident mitigated rolled back", bot.user_id)
    assert "monitoring until" in mitigated
    early = await alice.reply_to(room, "!incident resolve", bot.user_id)
    assert early.startswith("Can't resolve INC-1 yet")
    await alice.say(room, '!incident resolve --force "verified by synthetic checks"')
    resolved = "INC-1 is resolved (forced: verified by synthetic checks). Thank you all."
    await alice.wait_for(lambda: any(n.body == resolved for n in alice.notices(room, bot.user_id)))
    assert any(
        n.body.startswith("📝 INC-1 needs a postmortem (Sev1)") for n in alice.notices(room, bot.user_id)
    )
    topic = await state(alice, room, "m.room.topic")
    assert topic["topic"] == f"INC-1 · Sev1 · resolved · Checkout API errors · IC @{alice.localpart}"


def _latest_edit(person: Person, room_id: str, original: str) -> str | None:
    edits = [
        s.content["m.new_content"]["body"]
        for s in person.seen
        if s.room_id == room_id
        and isinstance(s.event, RoomMessageNotice)
        and s.content.get("m.relates_to", {}).get("event_id") == original
        and "m.new_content" in s.content
    ]
    return next((e for e in reversed(edits) if "Impact: checkout failing" in e), None)
