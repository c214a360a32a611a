"""Who may do what, and a one-line answer that says what to do for every mistake."""

from __future__ import annotations

from typing import Any

import pytest

from chatops.testing import Harness

ROOM = "inc-1-checkout-api-errors"


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return {"admins": ["test:root"]}


@pytest.fixture
async def incident(chat: Harness) -> Harness:
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await chat.say("!incident role tech-lead @bob", user="alice", room=ROOM)
    return chat


async def test_only_ic_or_admin_change_severity(incident: Harness) -> None:
    refused = await incident.reply("!incident sev 1", user="mallory", room=ROOM)
    assert refused == "Only the Incident Commander (@alice) or an admin can change severity."
    assert (await incident.reply("!incident sev 1", user="root", room=ROOM)).startswith(
        "INC-1 severity Sev2 → Sev1"
    )


async def test_tech_lead_may_progress_but_not_resolve(incident: Harness) -> None:
    assert (await incident.reply("!incident mitigated", user="bob", room=ROOM)).startswith(
        "INC-1 is mitigated"
    )
    refused = await incident.reply("!incident resolve --force x", user="bob", room=ROOM)
    assert (
        refused
        == "Only the Incident Commander (@alice) or an admin can resolve, force-resolve or reopen an incident."
    )


async def test_updates_need_ic_tech_lead_or_admin(incident: Harness) -> None:
    refused = await incident.reply("!incident update all good", user="mallory", room=ROOM)
    assert refused.startswith(
        "Only the Incident Commander (@alice), the Tech Lead (@bob) or an admin can post updates"
    )


async def test_anyone_may_note(incident: Harness) -> None:
    assert (
        await incident.reply("!incident note seen in eu-west", user="mallory", room=ROOM) == "Noted on INC-1."
    )


async def test_roles_hand_off_is_recorded_and_refused_for_others(incident: Harness) -> None:
    assert (await incident.reply("!incident role ic @bob", user="mallory", room=ROOM)).startswith(
        "Only the Incident Commander"
    )
    assert await incident.reply("!incident role ic @bob", user="alice", room=ROOM) == (
        "@bob is now Incident Commander of INC-1 (was @alice)."
    )
    # The new IC holds the permissions now; the old one does not.
    assert (await incident.reply("!incident sev 1", user="alice", room=ROOM)).startswith(
        "Only the Incident Commander (@bob)"
    )
    roles = await incident.reply("!incident roles", room=ROOM)
    assert "Incident Commander (ic): @bob" in roles and "Tech Lead (tech-lead): @bob" in roles
    assert await incident.reply("!incident role comms-lead --clear", user="bob", room=ROOM) == (
        "INC-1 has no Comms Lead to clear."
    )


@pytest.mark.parametrize(
    ("chat_config",),
    [({"permissions": {"incident.declare": ["admin"]}, "admins": ["test:root"]},)],
)
async def test_permissions_are_configurable(chat: Harness) -> None:
    assert (
        await chat.reply("!incident declare outage", user="alice") == "Only an admin can declare incidents."
    )
    assert (await chat.reply("!incident declare outage", user="root")).startswith("INC-1 declared")


@pytest.mark.parametrize(
    ("text", "room", "answer"),
    [
        (
            "!incident resolve",
            "lobby",
            "Which incident? Run this in the incident's room or add --id <number> (open: INC-1).",
        ),
        ("!incident status --id 99", "lobby", "No incident INC-99. See !incident list"),
        (
            "!incident status --id checkout",
            "lobby",
            "--id: 'checkout' is not an incident id; use e.g. 42 or INC-42.\nUsage: !incident status [--id N]   — e.g. !incident status --id 42",
        ),
        ("!incident sev 9", ROOM, "Level: '9' is not a severity; use 1-4 (Sev1, Sev2, Sev3, Sev4)."),
        (
            "!incident role scribe @bob",
            ROOM,
            "Role: unknown role 'scribe'; roles: ic (Incident Commander), tech-lead (Tech Lead), comms-lead (Comms Lead).",
        ),
        ("!incident role tech-lead bob", ROOM, "User: 'bob' is not a person; mention them, e.g. @alice."),
        (
            "!incident resolve",
            ROOM,
            'Can\'t resolve INC-1 yet: it is investigating, not mitigated. Mark it mitigated first (!incident mitigated), or override: !incident resolve --force "<reason>"',
        ),
        ("!incident identified", ROOM, None),
        (
            "!incident declare",
            "lobby",
            'Missing <title>.\nUsage: !incident declare <title> [--sev LEVEL] [--started TIME] [--private] [--near-miss] [--tag TAG]... [--service SERVICE]...   — e.g. !incident declare "Checkout API errors" --sev 2',
        ),
        ("!incident declare x --started tomorrow", "lobby", None),
        ("!incdient list", "lobby", 'Unknown command "!incdient". Did you mean "!incident"? See !help'),
        (
            "!incident lsit",
            "lobby",
            'Unknown command "!incident lsit". Did you mean "!incident list"? See !help incident',
        ),
        ("!incident", "lobby", None),
        (
            '!incident note "unbalanced',
            ROOM,
            "Couldn't read that command: unbalanced quote: add the closing \".",
        ),
    ],
)
async def test_bad_input_gets_one_clear_answer(
    incident: Harness, text: str, room: str, answer: str | None
) -> None:
    sent = await incident.say(text, user="alice", room=room)
    assert len(sent) == 1 and sent[0].room == room
    if answer is not None:
        assert sent[0].text.splitlines()[0] == answer.splitlines()[0]
    assert "plugin failed" not in sent[0].text and "inside chatops" not in sent[0].text


async def test_usage_line_carries_an_example(incident: Harness) -> None:
    reply = await incident.reply("!incident sev", user="alice", room=ROOM)
    assert reply == (
        "Missing <level>.\nUsage: !incident sev <level> [reason] [--id N]"
        '   — e.g. !incident sev 1 "revenue impact confirmed"'
    )


async def test_private_incidents_are_listed_only_to_participants(chat: Harness) -> None:
    await chat.say("!incident declare Payroll data exposure --private --sev 1", user="alice")
    await chat.say("!incident declare Search slow", user="bob")
    assert "Payroll" in await chat.reply("!incident list", user="alice")
    listing = await chat.reply("!incident list", user="mallory")
    assert "Payroll" not in listing and "INC-2" in listing
    assert "Payroll" in await chat.reply("!incident list", user="root")
    assert (
        await chat.reply("!incident status --id 1", user="mallory") == "No incident INC-1. See !incident list"
    )
    assert chat.transport.rooms["test:inc-1-payroll-data-exposure"].private


async def test_overlong_input_is_refused_and_nothing_is_stored(chat: Harness) -> None:
    reply = await chat.reply("!incident declare " + "x" * 5000)
    assert reply.startswith("That message is 5,018 characters; commands are limited to 4,000.")
    assert "No open incidents" in await chat.reply("!incident list")


async def test_overlong_title(chat: Harness) -> None:
    reply = await chat.reply("!incident declare " + "x" * 300)
    assert reply == "Titles are limited to 200 characters; put detail in a note."


async def test_unicode_titles_and_rooms(chat: Harness) -> None:
    reply = await chat.reply("!incident declare Zahlungsausfall bei Überweisungen 🔥 --sev 1")
    assert '"Zahlungsausfall bei Überweisungen 🔥"' in reply
    assert "Room: inc-1-zahlungsausfall-bei-überweisungen" in reply


async def test_help_is_generated_from_declarations(chat: Harness) -> None:
    overview = await chat.reply("!help")
    assert "!incident — declare and run incidents (see !help incident)" in overview
    detail = await chat.reply("!help incident")
    assert "!incident sev <level> [reason] [--id N] — change (or confirm) the severity" in detail
    assert 'e.g. !incident sev 1 "revenue impact confirmed"' in detail
    assert (await chat.reply("!help incident sev")).startswith("  !incident sev <level>")
    assert (
        await chat.reply("!help incdent") == 'No help for "incdent". Did you mean "!help incident"? See !help'
    )


async def test_slash_prefix_works_too(chat: Harness) -> None:
    assert (await chat.reply("/incident declare outage")).startswith("INC-1 declared")
