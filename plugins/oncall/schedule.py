"""Who is on call when: rotations, layers, coverage windows and overrides (pure).

Hand-offs are wall-clock times in the schedule's timezone: a weekly rotation
that hands off on Monday at 09:00 does so at 09:00 before and after a DST
change (the shift across it is an hour shorter or longer).  Every boundary
comes from one function of the shift number, so consecutive shifts meet
exactly: no gap, no overlap.  A hand-off time that does not exist on a
spring-forward day (02:30 in Berlin) happens when the clocks jump (03:00);
one that exists twice on a fall-back day happens the first time.

A layer takes turns either by a rotation or by shifts imported from an
external calendar (``Shifts``).  Precedence at an instant: an override,
else the highest layer whose coverage window contains the instant and
which has someone on call, else no one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Protocol
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall-clock time in ``tz`` as an aware UTC instant.

    A time in a spring-forward gap becomes the instant the clocks jumped; a
    time that occurs twice (fall back) its first occurrence.
    """
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In the gap: fold=1 reads it with the offset after the jump, fold=0 with the one before;
    # the jump lies between, where local time first reaches ``wall``.
    low, high = wall.replace(tzinfo=tz, fold=1).astimezone(UTC), first
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).replace(tzinfo=None) < wall:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class Rotation:
    """Participants take turns; shift ``k`` starts at ``start + k * shift`` in wall-clock time."""

    participants: tuple[str, ...]
    start: datetime  # naive wall-clock time of the first hand-off, in ``tz``
    shift: timedelta
    tz: ZoneInfo

    def boundary(self, k: int) -> datetime:
        return localize(self.start + k * self.shift, self.tz)

    def index_at(self, at: datetime) -> int:
        """The shift number running at ``at``."""
        wall = at.astimezone(self.tz).replace(tzinfo=None)
        k = (wall - self.start) // self.shift
        while self.boundary(k + 1) <= at:
            k += 1
        while self.boundary(k) > at:
            k -= 1
        return k

    def on_call(self, at: datetime) -> str | None:
        if not self.participants:
            return None
        return self.participants[self.index_at(at) % len(self.participants)]

    def boundaries(self, start: datetime, end: datetime) -> Iterator[datetime]:
        k = self.index_at(start) + 1
        while (b := self.boundary(k)) < end:
            yield b
            k += 1


@dataclass(frozen=True, slots=True)
class Shift:
    starts_at: datetime
    ends_at: datetime
    person: str


@dataclass(frozen=True, slots=True)
class Shifts:
    """Turns listed one by one (an imported calendar), instead of computed by a rotation.

    Where listed shifts overlap, the one that started last is on call: a
    one-day cover booked inside a week-long shift wins for its day.
    """

    shifts: tuple[Shift, ...]

    def on_call(self, at: datetime) -> str | None:
        running = [s for s in self.shifts if s.starts_at <= at < s.ends_at]
        return max(running, key=lambda s: s.starts_at).person if running else None

    def boundaries(self, start: datetime, end: datetime) -> Iterator[datetime]:
        edges = {e for s in self.shifts for e in (s.starts_at, s.ends_at) if start < e < end}
        yield from sorted(edges)


class Turns(Protocol):
    """Who takes the layer's turn at an instant, and when turns change."""

    def on_call(self, at: datetime) -> str | None: ...

    def boundaries(self, start: datetime, end: datetime) -> Iterator[datetime]: ...


@dataclass(frozen=True, slots=True)
class Window:
    """Coverage hours: on ``days``, ``start`` to ``end`` wall-clock time in ``tz`` (may pass midnight)."""

    days: frozenset[int]  # 0 = Monday
    start: time
    end: time
    tz: ZoneInfo

    def _spans(self, day: date) -> tuple[datetime, datetime]:
        begins = localize(datetime.combine(day, self.start), self.tz)
        ends_on = day if self.end > self.start else day + timedelta(days=1)
        return begins, localize(datetime.combine(ends_on, self.end), self.tz)

    def covers(self, at: datetime) -> bool:
        local = at.astimezone(self.tz).date()
        for day in (local - timedelta(days=1), local):
            if day.weekday() in self.days:
                begins, ends = self._spans(day)
                if begins <= at < ends:
                    return True
        return False

    def edges(self, start: datetime, end: datetime) -> Iterator[datetime]:
        day = start.astimezone(self.tz).date() - timedelta(days=1)
        last = end.astimezone(self.tz).date()
        while day <= last:
            if day.weekday() in self.days:
                for edge in self._spans(day):
                    if start < edge < end:
                        yield edge
            day += timedelta(days=1)

    def next_start(self, at: datetime) -> datetime | None:
        """When coverage next begins at or after ``at`` (``at`` itself when covered)."""
        if self.covers(at):
            return at
        day = at.astimezone(self.tz).date()
        for offset in range(8):
            candidate = day + timedelta(days=offset)
            if candidate.weekday() in self.days:
                begins, _ = self._spans(candidate)
                if begins >= at:
                    return begins
        return None


@dataclass(frozen=True, slots=True)
class Layer:
    name: str
    turns: Turns
    window: Window | None = None  # None: 24/7

    def on_call(self, at: datetime) -> str | None:
        if self.window is not None and not self.window.covers(at):
            return None
        return self.turns.on_call(at)

    def edges(self, start: datetime, end: datetime) -> Iterator[datetime]:
        yield from self.turns.boundaries(start, end)
        if self.window is not None:
            yield from self.window.edges(start, end)


@dataclass(frozen=True, slots=True)
class Override:
    person: str
    starts_at: datetime
    ends_at: datetime
    id: int = 0


@dataclass(frozen=True, slots=True)
class Segment:
    starts_at: datetime
    ends_at: datetime
    person: str | None
    source: str  # the layer's name, "override", or "" when no one is on call


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str
    tz: ZoneInfo
    layers: tuple[Layer, ...]  # lowest priority first
    overrides: tuple[Override, ...] = field(default=())

    def with_overrides(self, overrides: Sequence[Override]) -> Schedule:
        return Schedule(self.name, self.tz, self.layers, tuple(overrides))

    def who(self, at: datetime) -> tuple[str | None, str]:
        """The person on call at ``at`` and where that comes from."""
        for override in reversed(self.overrides):
            if override.starts_at <= at < override.ends_at:
                return override.person, "override"
        for layer in reversed(self.layers):
            person = layer.on_call(at)
            if person is not None:
                return person, layer.name
        return None, ""

    def segments(self, start: datetime, end: datetime) -> list[Segment]:
        """Who is on call over ``[start, end)``, as contiguous segments (same person merged)."""
        edges = {start, end}
        for layer in self.layers:
            edges.update(layer.edges(start, end))
        for override in self.overrides:
            edges.update(e for e in (override.starts_at, override.ends_at) if start < e < end)
        ordered = sorted(edges)
        found: list[Segment] = []
        for begins, ends in pairwise(ordered):
            person, source = self.who(begins)
            if found and found[-1].person == person and found[-1].source == source:
                found[-1] = Segment(found[-1].starts_at, ends, person, source)
            else:
                found.append(Segment(begins, ends, person, source))
        return found


def overlapping(new: Override, existing: Sequence[Override]) -> Override | None:
    """An existing override that overlaps ``new`` in time, if any."""
    return next((o for o in existing if o.starts_at < new.ends_at and new.starts_at < o.ends_at), None)
