"""Schedules across daylight-saving changes: hand-offs stay at their wall-clock time; no gap, no overlap."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from chatops_plugins.oncall.schedule import Layer, Override, Rotation, Schedule, Window, localize, overlapping

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
# (zone, the Sunday clocks spring forward, the Sunday they fall back) in 2026
TRANSITIONS = [
    (BERLIN, datetime(2026, 3, 29), datetime(2026, 10, 25)),
    (NEW_YORK, datetime(2026, 3, 8), datetime(2026, 11, 1)),
]


def contiguous(
    schedule: Schedule, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, str | None]]:
    segments = schedule.segments(start, end)
    assert segments[0].starts_at == start and segments[-1].ends_at == end
    for before, after in itertools.pairwise(segments):
        assert before.ends_at == after.starts_at  # no gap, no overlap
        assert before.starts_at < before.ends_at
    return [(s.starts_at, s.ends_at, s.person) for s in segments]


@pytest.mark.parametrize(("tz", "spring", "autumn"), TRANSITIONS, ids=["Berlin", "New York"])
def test_a_weekly_hand_off_stays_at_nine_across_both_changes(
    tz: ZoneInfo, spring: datetime, autumn: datetime
) -> None:
    for sunday in (spring, autumn):
        monday_before = sunday - timedelta(days=6)
        rotation = Rotation(("alice", "bob"), monday_before.replace(hour=9), timedelta(weeks=1), tz)
        schedule = Schedule("platform", tz, (Layer("primary", rotation),))
        start = localize(monday_before.replace(hour=9), tz)
        end = localize((monday_before + timedelta(weeks=2)).replace(hour=9), tz)
        segments = contiguous(schedule, start, end)
        assert [p for *_, p in segments] == ["alice", "bob"]
        hand_off = segments[0][1].astimezone(tz)
        assert (hand_off.weekday(), hand_off.hour, hand_off.minute) == (0, 9, 0)
        hours = (segments[0][1] - segments[0][0]) / timedelta(hours=1)
        assert hours == (167 if sunday == spring else 169)  # the week that loses or gains an hour


@pytest.mark.parametrize(("tz", "spring", "autumn"), TRANSITIONS, ids=["Berlin", "New York"])
def test_a_daily_hand_off_inside_the_missing_or_repeated_hour(
    tz: ZoneInfo, spring: datetime, autumn: datetime
) -> None:
    rotation = Rotation(
        ("alice", "bob", "carol"),
        spring.replace(hour=2, minute=30) - timedelta(days=3),
        timedelta(days=1),
        tz,
    )
    schedule = Schedule("night", tz, (Layer("night", rotation),))
    for sunday in (spring, autumn):
        start = localize((sunday - timedelta(days=2)).replace(hour=12), tz)
        end = localize((sunday + timedelta(days=2)).replace(hour=12), tz)
        segments = contiguous(schedule, start, end)
        hand_offs = [s.astimezone(tz) for s, _, _ in segments[1:]]
        on_the_day = next(h for h in hand_offs if h.date() == sunday.date())
        if sunday == spring:
            assert (on_the_day.hour, on_the_day.minute) == (
                3,
                0,
            )  # 02:30 does not exist: when the clocks jump
        else:
            assert (on_the_day.hour, on_the_day.minute, on_the_day.fold) == (2, 30, 0)  # the first 02:30
        assert all(
            (h.hour, h.minute) == (2, 30) for h in hand_offs if h.date() != sunday.date() or sunday != spring
        )
        people = [p for *_, p in segments]
        assert all(a != b for a, b in itertools.pairwise(people))  # each day a new person


@pytest.mark.parametrize(("tz", "spring", "autumn"), TRANSITIONS, ids=["Berlin", "New York"])
def test_business_hours_coverage_is_nine_to_five_local_on_both_sides(
    tz: ZoneInfo, spring: datetime, autumn: datetime
) -> None:
    weekdays = Window(frozenset(range(5)), time(9), time(17), tz)
    rotation = Rotation(("alice",), datetime(2026, 1, 5, 9), timedelta(weeks=1), tz)
    night = Rotation(("nina",), datetime(2026, 1, 5, 9), timedelta(weeks=1), tz)
    schedule = Schedule("support", tz, (Layer("night", night), Layer("day", rotation, weekdays)))
    for sunday in (spring, autumn):
        start = localize(sunday - timedelta(days=2), tz)
        end = localize(sunday + timedelta(days=2), tz)
        segments = contiguous(schedule, start, end)
        for begins, ends, person in segments:
            if person == "alice":
                assert begins.astimezone(tz).time() == time(9) and ends.astimezone(tz).time() == time(17)
                assert (ends - begins) == timedelta(hours=8)
        monday_noon = localize((sunday + timedelta(days=1)).replace(hour=12), tz)
        assert schedule.who(monday_noon) == ("alice", "day")
        assert schedule.who(localize(sunday.replace(hour=12), tz)) == ("nina", "night")


def test_an_override_wins_for_its_time_only() -> None:
    rotation = Rotation(("alice", "bob"), datetime(2026, 3, 23, 9), timedelta(weeks=1), BERLIN)
    covering = Override("carol", datetime(2026, 3, 28, 22, tzinfo=UTC), datetime(2026, 3, 29, 6, tzinfo=UTC))
    schedule = Schedule("platform", BERLIN, (Layer("primary", rotation),), (covering,))
    segments = contiguous(schedule, datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC))
    assert [p for *_, p in segments] == ["alice", "carol", "alice"]
    assert schedule.who(datetime(2026, 3, 29, 1, tzinfo=UTC)) == ("carol", "override")
    clash = Override("dave", datetime(2026, 3, 29, 5, tzinfo=UTC), datetime(2026, 3, 29, 8, tzinfo=UTC))
    assert overlapping(clash, schedule.overrides) == covering
    after = Override("dave", datetime(2026, 3, 29, 6, tzinfo=UTC), datetime(2026, 3, 29, 8, tzinfo=UTC))
    assert overlapping(after, schedule.overrides) is None  # touching is not overlapping


def test_nobody_outside_every_layer() -> None:
    weekdays = Window(frozenset(range(5)), time(9), time(17), BERLIN)
    schedule = Schedule(
        "office",
        BERLIN,
        (Layer("day", Rotation(("alice",), datetime(2026, 1, 5, 9), timedelta(days=7), BERLIN), weekdays),),
    )
    assert schedule.who(datetime(2026, 3, 28, 12, tzinfo=UTC)) == (None, "")  # a Saturday
    assert weekdays.next_start(datetime(2026, 3, 28, 12, tzinfo=UTC)) == datetime(
        2026, 3, 30, 7, tzinfo=UTC
    )  # Mon 09:00 CEST
