"""Incident metrics as definitions (pure): plain milestones in, figures out.

- MTTD, time to detect: detected - started, where the start (impact began) is known.
- MTTA, time to acknowledge: the first acknowledgement - the first page.
- MTTM, time to mitigate: mitigated - detected.
- MTTR, time to resolve: resolved - detected.

Means are over customer-impacting incidents; near-misses are counted
apart.  Frequency counts incidents by severity per ISO week, month and
quarter of detection.  Recurrence: incidents sharing a root-cause tag, a
service or an alert group within a number of days.

The same definitions run in SQL over stored epoch seconds (``sql.py``); a
test proves the two agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise

MEASURES = ("mttd", "mtta", "mttm", "mttr")
PERIODS = ("week", "month", "quarter")


@dataclass(frozen=True, slots=True)
class Milestones:
    incident_id: int
    severity: int
    near_miss: bool
    detected_at: datetime
    started_at: datetime | None = None
    paged_at: datetime | None = None
    acked_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    labels: tuple[tuple[str, str], ...] = ()  # ("tag", "database"), ("service", "checkout"), ("alert", key)


def _span(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds()


def spans(m: Milestones) -> dict[str, float | None]:
    """Each measure of one incident, in seconds (None where a milestone is missing)."""
    return {
        "mttd": _span(m.started_at, m.detected_at),
        "mtta": _span(m.paged_at, m.acked_at),
        "mttm": _span(m.detected_at, m.mitigated_at),
        "mttr": _span(m.detected_at, m.resolved_at),
    }


def bucket(at: datetime, period: str) -> str:
    """``2026-W10``, ``2026-03``, ``2026-Q1`` (UTC)."""
    at = at.astimezone(UTC)
    if period == "week":
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{at.year}-{at.month:02d}"
    if period == "quarter":
        return f"{at.year}-Q{(at.month - 1) // 3 + 1}"
    raise ValueError(f"unknown period {period!r}")


@dataclass(frozen=True, slots=True)
class Figure:
    count: int  # incidents the measure could be taken on
    mean_s: float | None


@dataclass(frozen=True, slots=True)
class Report:
    incidents: int  # customer-impacting
    near_misses: int
    by_severity: dict[int, int]
    figures: dict[str, Figure]
    frequency: dict[str, dict[str, dict[int, int]]]  # period -> bucket -> severity -> count
    recurrences: list[Recurrence] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Recurrence:
    kind: str
    value: str
    incidents: tuple[int, ...]


def report(items: Iterable[Milestones], recur_within_days: int = 30) -> Report:
    items = list(items)
    impacting = [m for m in items if not m.near_miss]
    by_severity: dict[int, int] = defaultdict(int)
    for m in impacting:
        by_severity[m.severity] += 1
    figures = {}
    for name in MEASURES:
        values = [v for m in impacting if (v := spans(m)[name]) is not None]
        figures[name] = Figure(len(values), sum(values) / len(values) if values else None)
    frequency: dict[str, dict[str, dict[int, int]]] = {
        p: defaultdict(lambda: defaultdict(int)) for p in PERIODS
    }
    for m in impacting:
        for period in PERIODS:
            frequency[period][bucket(m.detected_at, period)][m.severity] += 1
    plain = {p: {b: dict(sev) for b, sev in buckets.items()} for p, buckets in frequency.items()}
    return Report(
        incidents=len(impacting),
        near_misses=len(items) - len(impacting),
        by_severity=dict(by_severity),
        figures=figures,
        frequency=plain,
        recurrences=recurrences(items, recur_within_days),
    )


def recurrences(items: Sequence[Milestones], within_days: int) -> list[Recurrence]:
    """Labels shared by two or more incidents detected within ``within_days`` of one another."""
    seen: dict[tuple[str, str], list[Milestones]] = defaultdict(list)
    for m in items:
        for label in m.labels:
            seen[label].append(m)
    found = []
    for (kind, value), group in sorted(seen.items()):
        group.sort(key=lambda m: (m.detected_at, m.incident_id))
        linked: set[int] = set()
        for a, b in pairwise(group):
            if (b.detected_at - a.detected_at).total_seconds() <= within_days * 86400:
                linked |= {a.incident_id, b.incident_id}
        if linked:
            found.append(Recurrence(kind, value, tuple(sorted(linked))))
    return found
