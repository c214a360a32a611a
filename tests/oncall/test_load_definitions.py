"""The on-call load's definitions on plain values: nights, working hours, role time, ordering, edges."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from chatops_plugins.oncall.load import (
    Person,
    Reach,
    RoleChange,
    StatusChange,
    as_json,
    chat_lines,
    compute,
    covered_seconds,
    markdown,
    night_of,
)
from chatops_plugins.oncall.schedule import Window

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
WEEKDAYS = frozenset(range(5))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def person(key: str, tz: ZoneInfo) -> Person:
    return Person(key, tz, Window(WEEKDAYS, time(9), time(17), tz), "mon tue wed thu fri 09:00-17:00")


ALICE, BOB = person("alice", BERLIN), person("bob", NEW_YORK)
SINCE, UNTIL = utc("2026-03-01T00:00"), utc("2026-12-31T00:00")
OWNERS = {"test:alice": "alice", "test:bob": "bob"}


def pages_of(*reaches: Reach) -> dict[str, tuple[int, int, int]]:
    """person -> (pages, outside hours, nights) over most of 2026."""
    found = compute([ALICE, BOB], reaches, [], OWNERS, SINCE, UNTIL)
    return {p.person: (p.pages, p.pages_outside_hours, p.nights_interrupted) for p in found.people}


def test_a_night_runs_22_to_07_local_and_belongs_to_the_evening() -> None:
    # 2026-03-02 (Mon) in Berlin, CET = UTC+1
    assert night_of(utc("2026-03-02T20:59"), BERLIN) is None  # 21:59
    assert str(night_of(utc("2026-03-02T21:00"), BERLIN)) == "2026-03-02"  # 22:00 sharp: the night began
    assert str(night_of(utc("2026-03-02T23:30"), BERLIN)) == "2026-03-02"  # 00:30 Tue: Monday's night
    assert str(night_of(utc("2026-03-03T05:59"), BERLIN)) == "2026-03-02"  # 06:59
    assert night_of(utc("2026-03-03T06:00"), BERLIN) is None  # 07:00 sharp: morning
    # the same instant is daytime in New York (EST = UTC-5): 18:30 Mon
    assert night_of(utc("2026-03-02T23:30"), NEW_YORK) is None


def test_the_night_the_clocks_spring_forward_is_one_night() -> None:
    # Berlin, Sat 2026-03-28 → Sun 03-29: at 02:00 CET the clocks jump to 03:00 CEST (the night is 8 h).
    before = Reach("alice", 1, utc("2026-03-29T00:59"))  # 01:59 CET
    after = Reach("alice", 2, utc("2026-03-29T01:00"))  # 03:00 CEST, one minute later
    last = Reach("alice", 3, utc("2026-03-29T04:59"))  # 06:59 CEST: still the night
    morning = Reach("alice", 4, utc("2026-03-29T05:00"))  # 07:00 CEST (06:00 CET would have been 05:00 UTC+1)
    assert {night_of(r.at, BERLIN) for r in (before, after, last)} == {datetime(2026, 3, 28).date()}
    assert night_of(morning.at, BERLIN) is None
    # four pages on a Sunday: all outside hours, one night
    assert pages_of(before, after, last, morning)["alice"] == (4, 4, 1)


def test_the_night_the_clocks_fall_back_is_one_night() -> None:
    # New York, Sat 2026-10-31 → Sun 11-01: 02:00 EDT becomes 01:00 EST (the night is 10 h); 01:30 happens twice
    first = Reach("bob", 1, utc("2026-11-01T05:30"))  # 01:30 EDT
    second = Reach("bob", 2, utc("2026-11-01T06:30"))  # 01:30 EST, an hour later
    dawn = Reach("bob", 3, utc("2026-11-01T11:59"))  # 06:59 EST
    assert {night_of(r.at, NEW_YORK) for r in (first, second, dawn)} == {datetime(2026, 10, 31).date()}
    assert pages_of(first, second, dawn)["bob"] == (3, 3, 1)


def test_working_hours_are_read_in_each_persons_timezone_across_dst() -> None:
    # Mon 2026-03-09: New York already on EDT (UTC-4, since Mar 8), Berlin still on CET (UTC+1)
    nine_in_new_york = Reach("bob", 1, utc("2026-03-09T13:00"))  # 09:00 EDT: inside (start included)
    eight_59 = Reach("bob", 2, utc("2026-03-09T12:59"))  # 08:59 EDT: outside
    five_pm = Reach("bob", 3, utc("2026-03-09T21:00"))  # 17:00 EDT: outside (end excluded)
    four_59 = Reach("bob", 4, utc("2026-03-09T20:59"))  # 16:59 EDT: inside
    assert pages_of(nine_in_new_york, eight_59, five_pm, four_59)["bob"] == (4, 2, 0)
    # Mon 2026-03-30: Berlin on CEST (UTC+2): 07:00 UTC is 09:00 there, inside; a week earlier 08:00 CET, outside
    assert pages_of(Reach("alice", 1, utc("2026-03-30T07:00")))["alice"] == (1, 0, 0)
    assert pages_of(Reach("alice", 1, utc("2026-03-23T07:00")))["alice"] == (1, 1, 0)


def test_a_page_counts_once_when_it_first_reached_someone_in_the_period() -> None:
    rounds = [
        Reach("bob", 7, utc("2026-03-02T20:55")),  # 15:55 EST: inside, daytime
        Reach("bob", 7, utc("2026-03-03T03:05")),  # a later round at 22:05 EST is not another page
    ]
    assert pages_of(*rounds)["bob"] == (1, 0, 0)
    # first reached before the period: not counted, even though a later round is inside it
    late = compute([BOB], rounds, [], OWNERS, utc("2026-03-03T00:00"), UNTIL)
    assert late.people[0].pages == 0 and late.empty


def test_role_time_runs_until_handed_on_or_resolved_and_overlaps_count_once() -> None:
    changes = [
        RoleChange(1, utc("2026-03-05T08:00"), "ic", "test:alice"),  # declared, alice IC
        RoleChange(1, utc("2026-03-05T08:30"), "tech-lead", "test:alice"),  # two roles at once: counted once
        RoleChange(1, utc("2026-03-05T08:45"), "ic", "test:bob"),
        RoleChange(1, utc("2026-03-05T09:00"), "tech-lead", "slack:USOMEONE"),  # someone not in on-call
        StatusChange(1, utc("2026-03-05T09:30"), "mitigated"),
        StatusChange(1, utc("2026-03-05T10:00"), "resolved"),
        StatusChange(1, utc("2026-03-05T12:00"), "investigating"),  # reopened: bob is IC again
        StatusChange(1, utc("2026-03-05T12:30"), "resolved"),
        # INC-2 overlaps INC-1 for bob: 09:30-10:00 counts once
        RoleChange(2, utc("2026-03-05T09:30"), "comms-lead", "test:bob"),
        RoleChange(2, utc("2026-03-05T11:00"), "comms-lead", None),  # cleared
    ]
    found = compute([ALICE, BOB], [], changes, OWNERS, SINCE, UNTIL)
    seconds = {p.person: p.incident_seconds for p in found.people}
    assert seconds["alice"] == 60 * 60  # 08:00 → 09:00 (IC then Tech Lead, one stretch)
    # bob: IC 08:45 → 10:00 and comms 09:30 → 11:00 = 08:45 → 11:00 (2h 15min); reopened 12:00 → 12:30
    assert seconds["bob"] == (2 * 60 + 15 + 30) * 60
    # clipped to the period: from 09:45 on, bob has 09:45 → 11:00 and 12:00 → 12:30
    clipped = compute([BOB], [], changes, OWNERS, utc("2026-03-05T09:45"), UNTIL)
    assert clipped.people[0].incident_seconds == (75 + 30) * 60


def test_an_incident_still_open_counts_up_to_the_end_of_the_period() -> None:
    changes = [RoleChange(3, utc("2026-03-05T08:00"), "ic", "test:alice")]
    found = compute([ALICE], [], changes, OWNERS, SINCE, utc("2026-03-05T10:15"))
    assert found.people[0].incident_seconds == 2 * 3600 + 15 * 60


def test_covered_seconds_merges_and_clips() -> None:
    spans = [
        (utc("2026-03-05T10:00"), utc("2026-03-05T11:00")),
        (utc("2026-03-05T08:00"), utc("2026-03-05T09:00")),
    ]
    spans.append((utc("2026-03-05T08:30"), utc("2026-03-05T08:45")))  # inside the first: nothing more
    assert covered_seconds(spans, SINCE, UNTIL) == 2 * 3600
    assert covered_seconds(spans, utc("2026-03-05T08:30"), utc("2026-03-05T10:30")) == 3600
    assert covered_seconds([], SINCE, UNTIL) == 0


def test_most_loaded_first_nights_then_outside_then_pages_then_time() -> None:
    carol, dave = person("carol", BERLIN), person("dave", BERLIN)
    reaches = [
        Reach("alice", 1, utc("2026-03-02T23:00")),  # alice: 1 page, outside, 1 night (00:00 CET)
        *(Reach("bob", i, utc("2026-03-02T15:00")) for i in (2, 3, 4)),  # bob: 3 pages at 10:00 EST, inside
        Reach("carol", 5, utc("2026-03-02T18:00")),  # carol: 1 page at 19:00 CET, outside, no night
        Reach("dave", 6, utc("2026-03-02T10:00")),  # dave: 1 page at 11:00 CET, inside
    ]
    changes = [RoleChange(1, utc("2026-03-02T10:00"), "ic", "dave")]
    found = compute([ALICE, BOB, carol, dave], reaches, changes, {"dave": "dave"}, SINCE, UNTIL)
    assert [p.person for p in found.people] == ["alice", "carol", "bob", "dave"]
    tied = compute([BOB, ALICE], [], [], OWNERS, SINCE, UNTIL)
    assert [p.person for p in tied.people] == ["alice", "bob"]  # all equal: by name


def test_an_empty_period_and_nobody_configured_are_said_plainly() -> None:
    empty = compute([ALICE, BOB], [], [], OWNERS, SINCE, SINCE)
    assert empty.empty and empty.totals.pages == 0 and empty.totals.incident_seconds == 0
    assert chat_lines(empty, BERLIN) == [
        "On-call load, 2026-03-01 01:00 to 2026-03-01 01:00 CET:"
        " no page reached anyone and nobody held an incident role."
    ]
    nobody = compute([], [Reach("ghost", 1, utc("2026-03-02T10:00"))], [], {}, SINCE, UNTIL)
    assert chat_lines(nobody, BERLIN)[0].endswith("nobody is in the on-call config (oncall.people).")
    document = json.loads(as_json(empty))
    assert document["people"][0] == {
        "person": "alice",
        "timezone": "Europe/Berlin",
        "working_hours_local": "mon tue wed thu fri 09:00-17:00",
        "pages": 0,
        "pages_outside_hours": 0,
        "nights_interrupted": 0,
        "incident_hours": 0.0,
    }
    assert document["since"] == document["until"] == "2026-03-01T00:00:00+00:00"
    assert "| **Total** | | | 0 (0 distinct) | 0 | 0 | 0 |" in markdown(empty, BERLIN)
