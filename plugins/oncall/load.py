"""Who carries the pager: each person's on-call load over a period (pure).

Plain values in, plain values out; no I/O and no clock of its own (the
reading is ``load_sql``).  The definitions, also in docs/oncall.md
("Fairness: who carries the pager"):

- **pages**: the pages that reached the person, each counted once, at the
  moment it *first* reached them (``oncall_notified``: the escalation step,
  or round, that first named them).  A page is in the period when that
  moment is.  Later rounds of the same page are not counted again.
- **outside working hours**: those pages whose first reach falls outside
  the person's working hours — ``oncall.business_hours``' days and hours
  (or their own ``working_hours``) read as wall-clock time in *their*
  timezone.  Working hours include their start and exclude their end: a
  page at 09:00 is inside, one at 17:00 outside.
- **nights interrupted**: distinct local nights in which one of those pages
  first reached them.  A night runs 22:00-07:00 in their timezone (wall
  clock, so a DST night is 8 or 10 hours long) and belongs to the evening's
  date: a page at 00:10 on Tuesday interrupts Monday's night.
- **incident time**: the wall-clock time during which they held any
  incident role (Incident Commander, Tech Lead, Comms Lead, configured
  ones), from the ``role_assigned`` event that gave it to them until the one
  that handed it on or cleared it, and only while the incident was open
  (declared or reopened, not yet resolved); an incident still open counts up
  to the end of the period.  Overlaps (two roles, two incidents at once)
  count once.  Clipped to the period.

People are sorted most loaded first: by nights interrupted, then pages
outside working hours, then pages, then incident time (then name).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chatops.clock import format_duration
from chatops_plugins.oncall.schedule import Window

NIGHT_START, NIGHT_END = time(22, 0), time(7, 0)
RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Person:
    key: str
    tz: ZoneInfo
    hours: Window  # their working hours, in their own timezone
    hours_text: str = ""  # the same, for people to read: "mon tue wed thu fri 09:00-17:00"


@dataclass(frozen=True, slots=True)
class Reach:
    """Page ``page_id`` first reached ``person`` at ``at``."""

    person: str
    page_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class RoleChange:
    """``role`` of the incident went to ``account`` (a chat account; None: the role was cleared)."""

    incident_id: int
    at: datetime
    role: str
    account: str | None


@dataclass(frozen=True, slots=True)
class StatusChange:
    incident_id: int
    at: datetime
    status: str  # the status it moved to: investigating, identified, mitigated, resolved


Change = RoleChange | StatusChange


@dataclass(frozen=True, slots=True)
class PersonLoad:
    person: str
    timezone: str
    working_hours: str
    pages: int
    pages_outside_hours: int
    nights_interrupted: int
    incident_seconds: int

    def rank(self) -> tuple[int, int, int, int, str]:
        """Sort key: most loaded first."""
        return (
            -self.nights_interrupted,
            -self.pages_outside_hours,
            -self.pages,
            -self.incident_seconds,
            self.person,
        )


@dataclass(frozen=True, slots=True)
class Totals:
    pages: int  # sums over people: a page that reached two people counts twice
    distinct_pages: int  # ... and here once
    pages_outside_hours: int
    nights_interrupted: int
    incident_seconds: int


@dataclass(frozen=True, slots=True)
class Load:
    since: datetime
    until: datetime
    people: tuple[PersonLoad, ...]  # most loaded first
    totals: Totals

    @property
    def empty(self) -> bool:
        return not self.totals.pages and not self.totals.incident_seconds


def night_of(at: datetime, tz: ZoneInfo, start: time = NIGHT_START, end: time = NIGHT_END) -> date | None:
    """The night ``at`` falls in, named by the evening's date in ``tz``; None in the daytime."""
    local = at.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if clock >= start:
        return local.date()
    if clock < end:
        return local.date() - timedelta(days=1)
    return None


def first_reaches(reaches: Iterable[Reach]) -> list[Reach]:
    """Each (person, page) once, at its earliest reach."""
    first: dict[tuple[str, int], Reach] = {}
    for reach in reaches:
        key = (reach.person, reach.page_id)
        if key not in first or reach.at < first[key].at:
            first[key] = reach
    return sorted(first.values(), key=lambda r: (r.at, r.page_id, r.person))


def role_spans(
    changes: Iterable[Change], owner_of: Mapping[str, str], until: datetime
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Per person, the spans in which they held a role of an open incident (not merged, not clipped).

    ``changes`` are in the order they were recorded; ``owner_of`` maps a chat
    account to its person (an account of nobody in the on-call config still
    takes the role from whoever held it).
    """
    by_incident: dict[int, list[Change]] = defaultdict(list)
    for change in changes:
        by_incident[change.incident_id].append(change)
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for history in by_incident.values():
        holders: dict[str, str | None] = {}  # role -> the person holding it (None: nobody we know)
        is_open, mark = True, history[0].at
        ending: list[Change | None] = [*history, None]  # None: the end of the period
        for step in ending:
            at = until if step is None else step.at
            if is_open and at > mark:  # what held since the last change, held until this one
                for person in {p for p in holders.values() if p is not None}:
                    spans[person].append((mark, at))
            if isinstance(step, RoleChange):
                holders[step.role] = owner_of.get(step.account) if step.account else None
            elif isinstance(step, StatusChange):
                is_open = step.status != RESOLVED
            mark = max(mark, at)
    return spans


def covered_seconds(spans: Iterable[tuple[datetime, datetime]], since: datetime, until: datetime) -> int:
    """Seconds of [since, until) inside the union of ``spans``."""
    total, furthest = timedelta(), since
    for begins, ends in sorted(spans):
        begins, ends = max(begins, furthest), min(ends, until)
        if ends > begins:
            total += ends - begins
            furthest = ends
    return int(total.total_seconds())


def compute(
    people: Sequence[Person],
    reaches: Iterable[Reach],
    changes: Iterable[Change],
    owner_of: Mapping[str, str],
    since: datetime,
    until: datetime,
) -> Load:
    """The load of each of ``people`` over [since, until)."""
    known = {p.key: p for p in people}
    counted = [r for r in first_reaches(reaches) if since <= r.at < until and r.person in known]
    spans = role_spans(changes, owner_of, until)
    found = []
    for person in people:
        mine = [r for r in counted if r.person == person.key]
        outside = [r for r in mine if not person.hours.covers(r.at)]
        nights = {n for r in mine if (n := night_of(r.at, person.tz)) is not None}
        found.append(
            PersonLoad(
                person=person.key,
                timezone=person.tz.key,
                working_hours=person.hours_text,
                pages=len(mine),
                pages_outside_hours=len(outside),
                nights_interrupted=len(nights),
                incident_seconds=covered_seconds(spans.get(person.key, []), since, until),
            )
        )
    ordered = tuple(sorted(found, key=PersonLoad.rank))
    totals = Totals(
        pages=sum(p.pages for p in ordered),
        distinct_pages=len({r.page_id for r in counted}),
        pages_outside_hours=sum(p.pages_outside_hours for p in ordered),
        nights_interrupted=sum(p.nights_interrupted for p in ordered),
        incident_seconds=sum(p.incident_seconds for p in ordered),
    )
    return Load(since, until, ordered, totals)


# --- presenting (pure too) ---


def hours(seconds: int) -> float:
    return round(seconds / 3600, 2)


def _time(seconds: int) -> str:
    return format_duration(timedelta(seconds=seconds)) if seconds else "0"


def _period(load: Load, tz: ZoneInfo) -> str:
    def label(at: datetime) -> str:
        local = at.astimezone(tz)
        return f"{local:%Y-%m-%d}" if local.time() == time(0) else f"{local:%Y-%m-%d %H:%M}"

    return f"{label(load.since)} to {label(load.until)} {load.until.astimezone(tz):%Z}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def chat_lines(load: Load, tz: ZoneInfo) -> list[str]:
    """The answer to ``!oncall load``: one line per person, most loaded first, then the totals."""
    head = f"On-call load, {_period(load, tz)}"
    if not load.people:
        return [f"{head}: nobody is in the on-call config (oncall.people)."]
    if load.empty:
        return [f"{head}: no page reached anyone and nobody held an incident role."]
    out = [f"{head}, most loaded first:"]
    for rank, p in enumerate(load.people, 1):
        out.append(
            f"{rank}. @{p.person} ({p.timezone}): {_plural(p.pages, 'page')} · "
            f"{p.pages_outside_hours} outside hours · "
            f"{_plural(p.nights_interrupted, 'night')} interrupted · "
            f"{_time(p.incident_seconds)} in incident roles"
        )
    t = load.totals
    out.append(
        f"Total: {_plural(t.pages, 'page')} ({t.distinct_pages} distinct) · "
        f"{t.pages_outside_hours} outside hours · "
        f"{_plural(t.nights_interrupted, 'night')} interrupted · "
        f"{_time(t.incident_seconds)} in incident roles"
    )
    out.append(
        f"Nights are {NIGHT_START:%H:%M}-{NIGHT_END:%H:%M}, hours each person's own. "
        "Definitions: docs/oncall.md (Fairness)."
    )
    return out


def markdown(load: Load, tz: ZoneInfo) -> str:
    out = [
        f"# On-call load, {_period(load, tz)}",
        "",
        "Most loaded first: nights interrupted, then pages outside working hours, then pages, "
        "then incident time. Each page counts once per person, when it first reached them; "
        f"working hours and nights ({NIGHT_START:%H:%M}-{NIGHT_END:%H:%M}) are in the person's own "
        "timezone. Incident time is time holding an incident role while the incident was open.",
        "",
        "| Person | Timezone | Working hours | Pages | Outside working hours | Nights interrupted "
        "| Incident time |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for p in load.people:
        out.append(
            f"| @{p.person} | {p.timezone} | {p.working_hours} | {p.pages} | {p.pages_outside_hours} "
            f"| {p.nights_interrupted} | {_time(p.incident_seconds)} |"
        )
    t = load.totals
    out.append(
        f"| **Total** | | | {t.pages} ({t.distinct_pages} distinct) | {t.pages_outside_hours} "
        f"| {t.nights_interrupted} | {_time(t.incident_seconds)} |"
    )
    return "\n".join(out) + "\n"


def as_json(load: Load) -> str:
    t = load.totals
    document: dict[str, Any] = {
        "since": load.since.astimezone(UTC).isoformat(),
        "until": load.until.astimezone(UTC).isoformat(),
        "night_local": f"{NIGHT_START:%H:%M}-{NIGHT_END:%H:%M}",
        "people": [
            {
                "person": p.person,
                "timezone": p.timezone,
                "working_hours_local": p.working_hours,
                "pages": p.pages,
                "pages_outside_hours": p.pages_outside_hours,
                "nights_interrupted": p.nights_interrupted,
                "incident_hours": hours(p.incident_seconds),
            }
            for p in load.people
        ],
        "totals": {
            "pages": t.pages,
            "distinct_pages": t.distinct_pages,
            "pages_outside_hours": t.pages_outside_hours,
            "nights_interrupted": t.nights_interrupted,
            "incident_hours": hours(t.incident_seconds),
        },
    }
    return json.dumps(document, indent=2) + "\n"
