"""An incident from declaration to resolution, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from chatops.testing import Harness

ROOM = "inc-1-checkout-api-errors"


@pytest.fixture
def chatops_db_url(any_db_url: str) -> str:
    return any_db_url


async def declare(chat: Harness, extra: str = "--sev 2") -> None:
    await chat.say(f'!incident declare "Checkout API errors" {extra}', user="alice")


async def test_declare_opens_a_room_makes_the_declarer_ic_and_announces(chat: Harness) -> None:
    sent = await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    lobby = next(m for m in sent if m.room == "lobby")
    assert lobby.text.splitlines()[0] == 'INC-1 declared · Sev2 · "Checkout API errors"'
    assert "IC @alice" in lobby.text
    assert f"Room: {ROOM}" in lobby.text
    assert "Next update due 14:30 UTC (in 30 min)" in lobby.text
    room = next(m for m in sent if m.room == ROOM)
    assert room.text.startswith('INC-1 · Sev2 · investigating · "Checkout API errors"')
    assert chat.transport.topic(ROOM) == "INC-1 · Sev2 · investigating · Checkout API errors · IC @alice"
    assert chat.transport.invited[ROOM] == ["test:alice"]
    dm = next(m for m in sent if m.room == "@alice")
    assert dm.text.startswith("You are now Incident Commander of INC-1.")


async def test_numbers_increase(chat: Harness) -> None:
    await declare(chat)
    sent = await chat.say("!incident declare Search is slow", user="bob")
    assert sent[-2].text.startswith("INC-2 declared") or any(
        m.text.startswith("INC-2 declared") for m in sent
    )


async def test_without_sev_the_default_is_used_and_the_room_is_asked_to_confirm(chat: Harness) -> None:
    reply = await chat.reply("!incident declare Search is slow", user="bob")
    assert "Sev3" in reply.splitlines()[0]
    assert "Severity defaulted to Sev3 — confirm or change it: !incident sev <1-4> --id 1" in reply
    confirmed = await chat.reply("!incident sev 3", user="bob", room="inc-1-search-is-slow")
    assert confirmed.startswith("INC-1 severity Sev3 confirmed.")
    again = await chat.reply("!incident sev 3", user="bob", room="inc-1-search-is-slow")
    assert again == "INC-1 is already Sev3."


async def test_the_whole_lifecycle_is_stored_with_time_and_actor(chat: Harness) -> None:
    await declare(chat)
    say = lambda text, user="alice": chat.reply(text, user=user, room=ROOM)  # noqa: E731
    assert await say("!incident role tech-lead @bob") == "@bob is now Tech Lead of INC-1."
    assert await say('!incident role "Comms Lead" @carol') == "@carol is now Comms Lead of INC-1."
    assert (await say("!incident hypothesis connection pool exhaustion")).endswith(
        "connection pool exhaustion"
    )
    assert await say("!incident note deploy 1234 went out at 13:58", user="dave") == "Noted on INC-1."
    assert await say("!incident tag database") == "Tagged INC-1 with database."
    assert await say("!incident service checkout-api") == "INC-1 affects checkout-api."
    await chat.advance("5m")
    assert (await say("!incident identified pool sized for the old count", user="bob")).startswith(
        "INC-1 is identified"
    )
    update = await say('!incident update "checkout failing for ~30% — rolling back — next update 14:45"')
    assert update == "Update posted to INC-1. Next update due 14:35 UTC."
    await chat.advance("5m")
    mitigated = await say("!incident mitigated rolled back to 1233", user="bob")
    assert "monitoring until 14:40 UTC" in mitigated
    status = await say("!incident status")
    assert status.splitlines()[0] == (
        'INC-1 · Sev2 · mitigated (monitoring until 14:40 UTC) · "Checkout API errors"'
    )
    assert "Impact: checkout failing for ~30% — rolling back — next update 14:45" in status
    assert "IC @alice · Tech Lead @bob · Comms Lead @carol" in status
    assert "Hypothesis: connection pool exhaustion" in status
    early = await say("!incident resolve")
    assert early.startswith(
        "Can't resolve INC-1 yet: mitigated at 14:10 UTC, monitoring window for Sev2 is 30 min"
    )
    assert "resolvable from 14:40 UTC" in early and '!incident resolve --force "<reason>"' in early
    await chat.advance("30m")
    resolved = [m.text for m in await chat.say("!incident resolve", user="alice", room=ROOM)]
    assert resolved == [  # the room hears the postmortem a Sev2 needs, with the answer
        "📝 INC-1 needs a postmortem (Sev2): start it with !postmortem start --id 1; due by 2026-03-07.",
        "INC-1 is resolved. Thank you all.",
    ]

    timeline = await say("!incident timeline")
    lines = timeline.splitlines()
    assert lines[0] == "INC-1 timeline (UTC):"
    assert '14:00 UTC  @alice  declared "Checkout API errors" · Sev2' in lines
    assert "14:00 UTC  @dave  note: deploy 1234 went out at 13:58" in lines
    assert "14:05 UTC  @bob  investigating → identified: pool sized for the old count" in lines
    assert "14:40 UTC  @alice  mitigated → resolved" in lines


async def test_a_regression_reopens(chat: Harness) -> None:
    await declare(chat)
    await chat.say("!incident mitigated", user="alice", room=ROOM)
    reply = await chat.reply('!incident reopen "errors are back"', user="alice", room=ROOM)
    assert reply == "INC-1 is reopened and investigating again: errors are back"
    refused = await chat.reply("!incident reopen again", user="alice", room=ROOM)
    assert refused == "INC-1 is investigating; only a mitigated or resolved incident can be reopened."


async def test_forced_resolve_records_the_reason(chat: Harness) -> None:
    await declare(chat)
    said = await chat.say('!incident resolve --force "false alarm: synthetic check"', user="alice", room=ROOM)
    assert said[-1].text == "INC-1 is resolved (forced: false alarm: synthetic check). Thank you all."
    timeline = await chat.reply("!incident timeline", room=ROOM)
    assert "investigating → resolved (forced: false alarm: synthetic check)" in timeline


async def test_commands_elsewhere_name_the_incident_and_the_room_hears_about_it(chat: Harness) -> None:
    await declare(chat)
    sent = await chat.say("!incident hypothesis bad deploy --id INC-1", user="alice", room="lobby")
    assert [m.room for m in sent] == ["lobby", ROOM]
    assert sent[1].text == "INC-1 hypothesis: bad deploy (by @alice)"


async def test_update_reminders_follow_the_severity_cadence(chat: Harness) -> None:
    await declare(chat, "--sev 1")
    reminders = [m for m in await chat.advance("15m") if "update is due" in m.text]
    assert len(reminders) == 1
    assert reminders[0].room == ROOM
    assert reminders[0].text.startswith("@alice INC-1 update is due (Sev1 cadence: every 15 min).")
    assert reminders[0].content.mentions()[0].user_id == "test:alice"
    await chat.advance("5m")
    await chat.say(
        '!incident update "users see errors — rollback running — next 14:35"', user="alice", room=ROOM
    )
    assert not [m for m in await chat.advance("14m") if "update is due" in m.text]
    assert len([m for m in await chat.advance("1m") if "update is due" in m.text]) == 1


async def test_no_reminders_at_sev3_and_none_after_resolve(chat: Harness) -> None:
    await declare(chat, "--sev 3")
    assert not [m for m in await chat.advance("2h") if "update is due" in m.text]
    await chat.say("!incident sev 2", user="alice", room=ROOM)
    await chat.say("!incident resolve --force drill", user="alice", room=ROOM)
    assert not [m for m in await chat.advance("2h") if "update is due" in m.text]


async def test_export_shows_the_lifecycle(chat: Harness) -> None:
    from chatops_plugins.incident.export import export_incidents
    from chatops_plugins.incident.lookup import scale_of

    await chat.say(
        '!incident declare "Checkout API errors" --sev 2 --started "10m ago" --tag eu', user="alice"
    )
    await chat.say("!incident sev 1 revenue impact", user="alice", room=ROOM)
    await chat.say("!incident mitigated", user="alice", room=ROOM)
    [record] = await export_incidents(chat.app, scale_of(chat.app))
    assert record["ref"] == "INC-1" and record["id"] == 1
    assert record["started_at"] == "2026-03-02T13:50:00Z"
    assert record["declared_at"] == record["detected_at"] == "2026-03-02T14:00:00Z"
    assert record["resolved_at"] is None
    assert [(h["from"], h["to"], h["reason"]) for h in record["severity_history"]] == [
        (None, 2, None),
        (2, 1, "revenue impact"),
    ]
    assert [h["to"] for h in record["status_history"]] == ["investigating", "mitigated"]
    assert record["roles"] == {"ic": {"user": "test:alice", "name": "alice"}}
    assert record["tags"] == ["eu"]
    kinds = [e["kind"] for e in record["timeline"]]
    assert kinds == [
        "incident_declared",
        "role_assigned",
        "room_created",
        "conference_opened",  # a Sev2 gets a meeting link (the conference plugin)
        "severity_changed",
        "status_changed",
    ]
    people = [e for e in record["timeline"] if e["kind"] != "conference_opened"]
    assert all(e["actor"] == "test:alice" and e["at"].endswith("Z") for e in people)
