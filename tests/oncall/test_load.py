"""Who carries the pager: a week played in chat, its figures worked out by hand (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chatops.testing import Harness
from chatops_plugins.oncall.load_sql import oncall_report

ONCALL: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "oncall": {
        "people": {
            "alice": {"timezone": "Europe/Berlin", "accounts": ["test:alice"]},  # CET, UTC+1
            "bob": {"timezone": "America/New_York", "accounts": ["test:bob"]},  # EST, UTC-5 (until Mar 8)
            "carol": {
                "timezone": "Europe/Berlin",
                "accounts": ["test:carol"],
                "working_hours": {"days": ["mon", "tue", "wed", "thu"], "start": "08:00", "end": "16:00"},
            },
        },
        "policies": {"both": {"steps": [{"targets": ["user:alice", "user:bob"], "after": "5m"}]}},
        # business hours (timezone Berlin) are read in each person's own timezone for the load
        "business_hours": {"timezone": "Europe/Berlin", "start": "09:00", "end": "17:00"},
    },
}


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return ONCALL


@pytest.fixture
def chatops_db_url(any_db_url: str) -> str:
    return any_db_url  # the same week on SQLite and on PostgreSQL


async def at(chat: Harness, when: str) -> None:
    """Move the fake clock to ``when`` (UTC)."""
    target = datetime.fromisoformat(when).replace(tzinfo=UTC)
    assert target >= chat.clock.now()
    await chat.advance(target - chat.clock.now())


async def a_week_on_call(chat: Harness) -> None:
    """Mon 2026-03-02 to Sat 2026-03-07; every time is UTC, with each person's local time."""
    # P-1 Mon 14:00 → bob 09:00 EST Mon: the first minute of his working hours, inside.
    # (``!page @x`` repeats twice, 5 and 10 min later, unacknowledged: each page still counts once.)
    await chat.say('!page @bob "P-1 queue backlog"', user="carol")
    await at(chat, "2026-03-02T22:30")  # P-2 → bob 17:30 EST Mon: outside, evening (no night)
    await chat.say('!page @bob "P-2 queue backlog"', user="carol")
    await at(chat, "2026-03-03T03:30")  # P-3 → bob 22:30 EST Mon: outside, Monday's night
    await chat.say('!page @bob "P-3 disk 95%"', user="carol")
    await at(chat, "2026-03-03T05:10")  # P-4 → bob 00:10 EST Tue: just after midnight, still Monday's night
    await chat.say('!page @bob "P-4 disk 98%"', user="carol")
    await at(
        chat, "2026-03-04T11:00"
    )  # P-5 → alice 12:00 CET Wed (inside); bob 06:00 EST Wed: Tuesday's night
    await chat.say('!page both "P-5 certificate expires today"', user="carol")

    # INC-1: alice declares Thu 08:00 and is IC; at 08:45 she takes Tech Lead and hands IC to bob;
    # bob mitigates at 09:00 and resolves at 10:30.
    await at(chat, "2026-03-05T08:00")
    await chat.say('!incident declare "Checkout errors" --sev 2', user="alice")
    await at(chat, "2026-03-05T08:45")
    assert "now Tech Lead" in await chat.reply("!incident role tech-lead @alice --id 1", user="alice")
    assert "now Incident Commander" in await chat.reply("!incident role ic @bob --id 1", user="alice")
    await at(chat, "2026-03-05T09:00")
    await chat.say("!incident mitigated rolled back --id 1", user="bob")
    await at(chat, "2026-03-05T10:30")  # Sev2's monitoring window (30 min) is over
    assert "resolved" in await chat.reply("!incident resolve --id 1", user="bob")

    await at(chat, "2026-03-05T16:00")  # P-6 → alice 17:00 CET Thu: the end of her hours, outside
    await chat.say('!page @alice "P-6 error budget burn"', user="carol")
    # P-7 Fri 15:30 → carol 16:30 CET Fri: inside business hours, but carol works Mon-Thu 08:00-16:00
    await at(chat, "2026-03-06T15:30")
    await chat.say('!page @carol "P-7 payroll export stuck"', user="alice")
    await at(chat, "2026-03-07T10:00")  # P-8 → alice 11:00 CET Saturday: outside (weekend), daytime
    await chat.say('!page @alice "P-8 backup failed"', user="carol")
    await at(chat, "2026-03-09T12:00")  # the next Monday: the load is asked for


async def test_a_week_on_call_gives_the_hand_computed_load(chat: Harness) -> None:
    await a_week_on_call(chat)

    # bob:   pages P-1..P-5 = 5; outside his hours P-2, P-3, P-4, P-5 = 4;
    #        nights: Mon 03-02 (P-3 22:30, P-4 00:10) and Tue 03-03 (P-5 06:00) = 2;
    #        IC 08:45 → 10:30 = 1h 45min.
    # alice: pages P-5, P-6, P-8 = 3; outside P-6 (17:00 sharp), P-8 (Saturday) = 2; nights 0;
    #        IC 08:00 → 08:45, then Tech Lead 08:45 → 10:30: one stretch 08:00 → 10:30 = 2h 30min.
    # carol: P-7 = 1, outside her own hours = 1; nights 0; no role.
    # Most loaded first: bob (2 nights), alice (0 nights, 2 outside), carol (0 nights, 1 outside).
    # Totals: 5 + 3 + 1 = 9 pages, 8 distinct (P-5 reached two people); 4 + 2 + 1 = 7 outside;
    #         2 nights; 1h 45min + 2h 30min = 4h 15min.
    assert (await chat.reply("!oncall load --since 2026-03-02", user="alice")).splitlines() == [
        "On-call load, 2026-03-02 to 2026-03-09 13:00 CET, most loaded first:",
        "1. @bob (America/New_York): 5 pages · 4 outside hours · 2 nights interrupted"
        " · 1h 45min in incident roles",
        "2. @alice (Europe/Berlin): 3 pages · 2 outside hours · 0 nights interrupted"
        " · 2h 30min in incident roles",
        "3. @carol (Europe/Berlin): 1 page · 1 outside hours · 0 nights interrupted · 0 in incident roles",
        "Total: 9 pages (8 distinct) · 7 outside hours · 2 nights interrupted · 4h 15min in incident roles",
        "Nights are 22:00-07:00, hours each person's own. Definitions: docs/oncall.md (Fairness).",
    ]

    # From Tuesday (2026-03-03 00:00 CET = 03-02 23:00 UTC): P-1 (14:00) and P-2 (22:30) fall before it;
    # P-3 (03-03 03:30 UTC) is in, and still interrupts bob's Monday night.
    document = json.loads(await oncall_report(chat.app, _cet("2026-03-03"), "json", None))
    assert document["people"][0] == {
        "person": "bob",
        "timezone": "America/New_York",
        "working_hours_local": "mon tue wed thu fri 09:00-17:00",
        "pages": 3,
        "pages_outside_hours": 3,
        "nights_interrupted": 2,
        "incident_hours": 1.75,
    }
    assert document["totals"] == {
        "pages": 7,  # bob 3, alice 3, carol 1
        "distinct_pages": 6,  # P-3 .. P-8
        "pages_outside_hours": 6,  # bob 3, alice 2, carol 1
        "nights_interrupted": 2,
        "incident_hours": 4.25,
    }
    assert [p["person"] for p in document["people"]] == ["bob", "alice", "carol"]
    assert document["people"][2]["working_hours_local"] == "mon tue wed thu 08:00-16:00"

    # Without --since: the last four weeks, from midnight (2026-02-09): the whole week is in.
    assert (await chat.reply("!oncall load", user="bob")).startswith(
        "On-call load, 2026-02-09 to 2026-03-09 13:00 CET, most loaded first:\n1. @bob"
    )
    # A period with nothing in it says so in one line.
    assert await chat.reply("!oncall load --since 2026-03-09", user="bob") == (
        "On-call load, 2026-03-09 to 2026-03-09 13:00 CET:"
        " no page reached anyone and nobody held an incident role."
    )


async def test_an_open_incident_counts_up_to_now_and_bad_input_is_answered(chat: Harness) -> None:
    await chat.say('!incident declare "Checkout errors" --sev 2', user="alice")  # Mon 14:00 UTC
    await chat.advance("90m")
    answer = await chat.reply("!oncall load --since 2026-03-02", user="alice")
    assert "@alice (Europe/Berlin): 0 pages · 0 outside hours · 0 nights interrupted" in answer
    assert "· 1h 30min in incident roles" in answer  # still open: IC from 14:00 until now, 15:30

    assert "not a date: 'yesterday'" in await chat.reply("!oncall load --since yesterday", user="alice")
    assert await chat.reply("!oncall load --since 2027-01-01", user="alice") == (
        "--since 2027-01-01 is in the future; pick a day in the past, e.g. --since 2026-02-02."
    )


def _cet(day: str) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(day).replace(tzinfo=ZoneInfo("Europe/Berlin"))
