"""Drafts and publications as rows: what customers see is only ever what was published."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update

from chatops.storage.db import Tx
from chatops.storage.upsert import upsert
from chatops_plugins.statuspage.domain import Draft, worst
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
        "title": draft.title,
    }
    await upsert(tx, drafts, row, ("incident_id",), {k: v for k, v in row.items() if k != "incident_id"})


async def draft_of(conn: Any, incident_id: int) -> Draft | None:
    row = (await conn.execute(select(drafts).where(drafts.c.incident_id == incident_id))).first()
    return None if row is None else Draft(row.body, row.status, row.impact, dict(row.components), row.title)


async def public_of(conn: Any, incident_id: int) -> Any:
    """The public incident telling of ``incident_id``, if it was ever published."""
    query = select(public_incidents).where(public_incidents.c.incident_id == incident_id)
    return (await conn.execute(query)).first()


async def publish(
    tx: Tx, incident_id: int, draft: Draft, by: str, now: datetime, *, sandbox: bool = False
) -> tuple[int, dict[str, str]]:
    """The draft becomes a public update (the public incident is opened or moved on); returns its id
    and the states of its components afterwards (what publishers must show).

    A ``sandbox`` publication (a drill's) is stored apart: the real page's components never move.
    """
    row = await public_of(tx, incident_id)
    stamps: dict[str, Any] = {"resolved_at": now if draft.status == "resolved" else None}
    if draft.status == "monitoring":
        stamps["monitoring_at"] = now
    if row is None:
        result = await tx.execute(
            insert(public_incidents).values(
                incident_id=incident_id,
                name=draft.title,
                status=draft.status,
                impact=draft.impact,
                components=draft.components,
                created_at=now,
                updated_at=now,
                kind="incident",
                sandbox=sandbox,
                **stamps,
            )
        )
        public_id, components = int(result.inserted_primary_key[0]), dict(draft.components)
    else:
        public_id, components = int(row.id), {**row.components, **draft.components}
        values = {"status": draft.status, "impact": draft.impact, "components": components, "updated_at": now}
        if draft.title:
            values["name"] = draft.title
        await tx.execute(
            update(public_incidents).where(public_incidents.c.id == public_id).values(**values, **stamps)
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
    await tx.execute(delete(drafts).where(drafts.c.incident_id == incident_id))
    if sandbox:
        return public_id, components
    states = await recompute_components(tx, now)
    return public_id, {c: states.get(c, "operational") for c in components}


async def recompute_components(tx: Tx, now: datetime) -> dict[str, str]:
    """Each component's state: the worst of the open incidents and maintenance touching it."""
    claims: dict[str, list[str]] = {}
    rows = await tx.execute(
        select(public_incidents.c.kind, public_incidents.c.components).where(
            public_incidents.c.status.not_in(("resolved", "completed", "scheduled")),
            public_incidents.c.sandbox.is_(False),
        )
    )
    for kind, components in rows:
        for component, state in components.items():
            claims.setdefault(component, []).append("under_maintenance" if kind == "maintenance" else state)
    known = {row.component_id: row.status for row in await tx.execute(select(component_states))}
    states = {c: worst(claims.get(c, [])) for c in {*known, *claims}}
    for component, state in states.items():
        if known.get(component) != state:
            row = {"component_id": component, "status": state, "updated_at": now}
            await upsert(tx, component_states, row, ("component_id",), {"status": state, "updated_at": now})
    return states


async def page_data(conn: Any, now: datetime, history_days: int, *, sandbox: bool = False) -> dict[str, Any]:
    """Everything the page shows: public incidents of the history window, their updates, component states.

    The real page never shows a drill's publications; the ``sandbox`` page shows only those (its
    components as the drills' publications set them, everything else operational).
    """
    floor = now - timedelta(days=history_days)
    incidents = [
        dict(row._mapping)
        for row in await conn.execute(
            select(public_incidents)
            .where(public_incidents.c.updated_at >= floor, public_incidents.c.sandbox.is_(sandbox))
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
    if sandbox:
        states = _sandbox_states(incidents, now)
    else:
        states = {
            row.component_id: dict(row._mapping) for row in await conn.execute(select(component_states))
        }
    return {"incidents": incidents, "updates": updates, "components": states}


def _sandbox_states(incidents: list[dict[str, Any]], now: datetime) -> dict[str, dict[str, Any]]:
    """Component states as the open sandbox incidents claim them (the real states are not touched)."""
    claims: dict[str, list[str]] = {}
    for row in incidents:
        if row["status"] != "resolved":
            for component, state in row["components"].items():
                claims.setdefault(component, []).append(state)
    return {
        c: {"component_id": c, "status": worst(states), "updated_at": now} for c, states in claims.items()
    }
