"""The metrics definitions of ``domain`` as SQL over the stored milestones (no Python loops over history).

Milestones are epoch seconds and periods are stored names, so the database
does plain arithmetic and grouping, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.sql import ColumnElement

from chatops_plugins.metrics.domain import MEASURES, PERIODS, Figure, Milestones, Recurrence, Report
from chatops_plugins.metrics.tables import labels, milestones

_SPANS: dict[str, tuple[str, str]] = {
    "mttd": ("started_s", "detected_s"),
    "mtta": ("paged_s", "acked_s"),
    "mttm": ("detected_s", "mitigated_s"),
    "mttr": ("detected_s", "resolved_s"),
}


def _since(since: datetime | None) -> ColumnElement[bool]:
    return milestones.c.detected_s >= int(since.timestamp()) if since else literal(True)


async def report(conn: Any, since: datetime | None = None, recur_within_days: int | None = 30) -> Report:
    """The report; ``recur_within_days`` None skips recurrences (a self-join a scrape does not need)."""
    impacting = and_(milestones.c.near_miss.is_(False), _since(since))
    columns: list[Any] = [
        func.count().filter(milestones.c.near_miss.is_(False)).label("incidents"),
        func.count().filter(milestones.c.near_miss.is_(True)).label("near_misses"),
    ]
    for name in MEASURES:
        start, end = (milestones.c[c] for c in _SPANS[name])
        valid = and_(start.is_not(None), end.is_not(None), end >= start, milestones.c.near_miss.is_(False))
        columns.append(func.count().filter(valid).label(f"{name}_n"))
        columns.append(func.avg(case((valid, end - start))).label(f"{name}_avg"))
    totals = (await conn.execute(select(*columns).where(_since(since)))).one()
    # One scan for every period: group by all three and the severity, then fold the few hundred rows.
    keys = (milestones.c.week, milestones.c.month, milestones.c.quarter, milestones.c.severity)
    grouped = select(*keys, func.count()).where(impacting).group_by(*keys)
    by_severity: dict[int, int] = defaultdict(int)
    folded: dict[str, dict[str, dict[int, int]]] = {p: defaultdict(lambda: defaultdict(int)) for p in PERIODS}
    for week, month, quarter, severity, count in await conn.execute(grouped):
        by_severity[severity] += count
        for period, name in zip(PERIODS, (week, month, quarter), strict=True):
            folded[period][name][severity] += count
    frequency = {p: {b: dict(s) for b, s in buckets.items()} for p, buckets in folded.items()}
    figures = {
        name: Figure(
            getattr(totals, f"{name}_n"),
            float(getattr(totals, f"{name}_avg")) if getattr(totals, f"{name}_avg") is not None else None,
        )
        for name in MEASURES
    }
    return Report(
        incidents=totals.incidents,
        near_misses=totals.near_misses,
        by_severity=dict(by_severity),
        figures=figures,
        frequency=frequency,
        recurrences=await recurrences(conn, since, recur_within_days) if recur_within_days else [],
    )


async def recurrences(conn: Any, since: datetime | None, within_days: int) -> list[Recurrence]:
    """Pairs of incidents sharing a label within the window (a self-join), grouped per label."""
    a, b = labels.alias("a"), labels.alias("b")
    query = select(a.c.kind, a.c.value, a.c.incident_id.label("first"), b.c.incident_id.label("second")).join(
        b,
        and_(
            a.c.kind == b.c.kind,
            a.c.value == b.c.value,
            a.c.incident_id < b.c.incident_id,
            func.abs(b.c.detected_s - a.c.detected_s) <= within_days * 86400,
        ),
    )
    if since is not None:
        floor = int(since.timestamp())
        query = query.where(a.c.detected_s >= floor, b.c.detected_s >= floor)
    linked: dict[tuple[str, str], set[int]] = defaultdict(set)
    for row in await conn.execute(query):
        linked[(row.kind, row.value)] |= {row.first, row.second}
    return [Recurrence(kind, value, tuple(sorted(ids))) for (kind, value), ids in sorted(linked.items())]


async def milestones_of(conn: Any, since: datetime | None = None) -> list[Milestones]:
    """Every stored incident's milestones as plain values (for the pure definitions)."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for row in await conn.execute(select(labels)):
        found[row.incident_id].append((row.kind, row.value))

    def at(value: int | None) -> datetime | None:
        return None if value is None else datetime.fromtimestamp(value, UTC)

    rows = await conn.execute(select(milestones).where(_since(since)).order_by(milestones.c.incident_id))
    return [
        Milestones(
            incident_id=row.incident_id,
            severity=row.severity,
            near_miss=row.near_miss,
            detected_at=datetime.fromtimestamp(row.detected_s, UTC),
            started_at=at(row.started_s),
            paged_at=at(row.paged_s),
            acked_at=at(row.acked_s),
            mitigated_at=at(row.mitigated_s),
            resolved_at=at(row.resolved_s),
            labels=tuple(sorted(found.get(row.incident_id, []))),
        )
        for row in rows
    ]


async def monthly_means(conn: Any, since: datetime | None = None) -> dict[str, dict[str, float]]:
    """Each measure's mean per month of detection, in seconds (for charts)."""
    found: dict[str, dict[str, float]] = {}
    for name in MEASURES:
        start, end = (milestones.c[c] for c in _SPANS[name])
        valid = and_(
            start.is_not(None),
            end.is_not(None),
            end >= start,
            milestones.c.near_miss.is_(False),
            _since(since),
        )
        query = (
            select(milestones.c.month, func.avg(end - start).label("mean"))
            .where(valid)
            .group_by(milestones.c.month)
        )
        found[name] = {row.month: float(row.mean) for row in await conn.execute(query)}
    return found


async def open_incidents(conn: Any) -> int:
    query = select(func.count()).select_from(milestones).where(milestones.c.resolved_s.is_(None))
    return int((await conn.execute(query)).scalar_one())
