"""Milestones kept in step with the record: domain events observed in the transaction that stores them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, or_, select, update

from chatops.events import DomainEvent
from chatops.storage.upsert import upsert
from chatops_plugins.incident import links
from chatops_plugins.incident import store as incidents
from chatops_plugins.incident.domain import Incident
from chatops_plugins.incident.tables import incidents as incident_rows
from chatops_plugins.metrics.domain import bucket
from chatops_plugins.metrics.tables import labels, milestones

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

INCIDENT_KINDS = ("incident_declared", "status_changed", "severity_changed")


def seconds(at: datetime | None) -> int | None:
    return None if at is None else int(at.timestamp())


def row_of(incident: Incident) -> dict[str, Any]:
    detected = incident.detected_at or incident.declared_at
    return {
        "incident_id": incident.id,
        "severity": incident.severity,
        "near_miss": incident.near_miss,
        "detected_s": seconds(detected),
        "started_s": seconds(incident.started_at),
        "mitigated_s": seconds(incident.mitigated_at),
        "resolved_s": seconds(incident.resolved_at),
        "week": bucket(detected, "week"),
        "month": bucket(detected, "month"),
        "quarter": bucket(detected, "quarter"),
    }


async def sync(tx: Tx, incident: Incident) -> None:
    """The incident's row as its record now says (page times are kept: they come from pages).

    A duplicate merged into another incident has no row: it is counted once, as the other.
    A drill (a practice incident) has none either: practice is not an incident of the service.
    """
    if incident.drill or await links.duplicate_of(tx, incident.id) is not None:
        await drop(tx, incident.id)
        return
    row = row_of(incident)
    await upsert(tx, milestones, row, ("incident_id",), {k: v for k, v in row.items() if k != "incident_id"})
    for kind, values in (("tag", incident.tags), ("service", incident.services)):
        for value in values:
            await label(tx, incident.id, kind, value, row["detected_s"])


async def drop(tx: Tx, incident_id: int) -> None:
    """No row, no labels: the incident is not counted (a merged duplicate, a drill)."""
    await tx.execute(delete(labels).where(labels.c.incident_id == incident_id))
    await tx.execute(delete(milestones).where(milestones.c.incident_id == incident_id))


async def label(tx: Tx, incident_id: int, kind: str, value: str, detected_s: int | None = None) -> None:
    if detected_s is None:
        found = await tx.execute(
            select(milestones.c.detected_s).where(milestones.c.incident_id == incident_id)
        )
        detected_s = found.scalar()
        if detected_s is None:
            return
    row = {"incident_id": incident_id, "kind": kind, "value": value[:500], "detected_s": detected_s}
    await upsert(tx, labels, row, ("incident_id", "kind", "value"))


async def _earliest(tx: Tx, incident_id: int, column: str, at: datetime) -> None:
    """Keep the first time ``column`` happened (the page may come before its declaration's own row)."""
    exists = await tx.execute(select(milestones.c.incident_id).where(milestones.c.incident_id == incident_id))
    if exists.first() is None:
        incident = await incidents.get(tx, incident_id)
        if incident is None:
            return
        await sync(tx, incident)
    target = milestones.c[column]
    await tx.execute(
        update(milestones)
        .where(milestones.c.incident_id == incident_id, or_(target.is_(None), target > seconds(at)))
        .values({column: seconds(at)})
    )


def incident_of(event: DomainEvent) -> int | None:
    prefix, _, number = event.stream.partition(":")
    return int(number) if prefix == "incident" and number.isdigit() else None


async def observe(tx: Tx, event: DomainEvent) -> None:
    incident_id = incident_of(event)
    if incident_id is None:
        return
    kind, data = event.kind, event.data()
    if kind in INCIDENT_KINDS:
        incident = await incidents.get(tx, incident_id)
        if incident is not None:
            await sync(tx, incident)
    elif kind == "merged_into":  # a duplicate: the incident it was merged into counts for both
        await drop(tx, incident_id)
    elif kind == "tag_added":
        await label(tx, incident_id, "tag", str(data["tag"]))
    elif kind == "service_added":
        await label(tx, incident_id, "service", str(data["service"]))
    elif kind == "paged":
        await _earliest(tx, incident_id, "paged_s", event.at)
    elif kind == "page_acknowledged":
        await _earliest(tx, incident_id, "acked_s", event.at)
    elif kind == "page_linked":  # a page from before the declaration (an alert's)
        await _earliest(tx, incident_id, "paged_s", datetime.fromisoformat(str(data["paged_at"])))
        if data.get("acked_at"):
            await _earliest(tx, incident_id, "acked_s", datetime.fromisoformat(str(data["acked_at"])))
    elif kind == "alert_group_linked":
        await label(tx, incident_id, "alert", str(data.get("group_key") or f"group {data['group_id']}"))


async def backfill(app: App) -> int:
    """Rows for incidents stored before this plugin was (their page times are not known)."""
    async with app.db.read() as conn:
        known = select(milestones.c.incident_id)
        query = select(incident_rows.c.id).where(
            incident_rows.c.id.not_in(known),
            incident_rows.c.id.not_in(links.duplicate_ids()),
            incident_rows.c.drill.is_(False),
        )
        missing = [row.id for row in await conn.execute(query)]
    if not missing:
        return 0

    async def write(tx: Tx) -> None:
        for incident_id in missing:
            incident = await incidents.get(tx, incident_id)
            if incident is not None:
                await sync(tx, incident)

    await app.db.write(write)
    return len(missing)
