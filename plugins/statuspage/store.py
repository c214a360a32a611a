"""Drafts and publications as rows: what customers see is only ever what was published."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from chatops.storage.db import Tx
from chatops.storage.upsert import upsert
from chatops_plugins.statuspage.domain import Draft
from chatops_plugins.statuspage.tables import component_states, drafts, public_incidents, public_updates


async def save_draft(tx: Tx, incident_id: int, draft: Draft, by: str, now: datetime) -> None:
    row = {
        "incident_id": incident_id,
        "body": draft.body,
        "status": draft.status,
        "impact": draft.impact,
        "components": draft.components,
        "created_by": by,
        "created_at": now,
    }
    await upsert(tx, drafts, row, ("incident_id",), {k: v for k, v in row.items() if k != "incident_id"})


async def draft_of(conn: Any, incident_id: int) -> Draft | None:
    row = (await conn.execute(select(drafts).where(drafts.c.incident_id == incident_id))).first()
    return None if row is None else Draft(row.body, row.status, row.impact, dict(row.components))


async def publish(tx: Tx, incident_id: int, title: str, draft: Draft, by: str, now: datetime) -> int:
    """The draft becomes a public update (and the public incident is opened or moved on)."""
    row = (
        await tx.execute(select(public_incidents).where(public_incidents.c.incident_id == incident_id))
    ).first()
    stamps: dict[str, Any] = {}
    if draft.status == "monitoring":
        stamps["monitoring_at"] = now
    if draft.status == "resolved":
        stamps["resolved_at"] = now
    if row is None:
        result = await tx.execute(
            insert(public_incidents).values(
                incident_id=incident_id,
                name=title,
                status=draft.status,
                impact=draft.impact,
                components=draft.components,
                created_at=now,
                updated_at=now,
                **stamps,
            )
        )
        public_id = int(result.inserted_primary_key[0])
    else:
        public_id = int(row.id)
        await tx.execute(
            update(public_incidents)
            .where(public_incidents.c.id == public_id)
            .values(
                status=draft.status,
                impact=draft.impact,
                components={**row.components, **draft.components},
                updated_at=now,
                **stamps,
            )
        )
    await tx.execute(
        insert(public_updates).values(
            status_incident_id=public_id,
            status=draft.status,
            body=draft.body,
            components=draft.components,
            created_at=now,
            published_by=by,
        )
    )
    touched = dict(draft.components)
    if draft.status == "resolved":  # everything it touched is operational again
        touched = {c: "operational" for c in {**(dict(row.components) if row else {}), **draft.components}}
    for component, status in touched.items():
        state = {"component_id": component, "status": status, "updated_at": now}
        await upsert(tx, component_states, state, ("component_id",), {"status": status, "updated_at": now})
    await tx.execute(delete(drafts).where(drafts.c.incident_id == incident_id))
    return public_id


async def page_data(conn: Any, now: datetime, history_days: int) -> dict[str, Any]:
    """Everything the page shows: public incidents of the history window, their updates, component states."""
    floor = now - timedelta(days=history_days)
    incidents = [
        dict(row._mapping)
        for row in await conn.execute(
            select(public_incidents)
            .where(public_incidents.c.updated_at >= floor)
            .order_by(public_incidents.c.created_at.desc())
        )
    ]
    ids = [i["id"] for i in incidents]
    updates: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        rows = await conn.execute(
            select(public_updates)
            .where(public_updates.c.status_incident_id.in_(ids))
            .order_by(public_updates.c.id.desc())
        )
        for row in rows:
            updates[row.status_incident_id].append(dict(row._mapping))
    states = {row.component_id: dict(row._mapping) for row in await conn.execute(select(component_states))}
    return {"incidents": incidents, "updates": updates, "components": states}
