"""Reading and writing incidents.  Other plugins (severity, roles, ...) use this API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chatops import events as event_log
from chatops.models.chat import User, split_address
from chatops.storage.tables import events
from chatops_plugins.incident.domain import OPEN, Incident, Status
from chatops_plugins.incident.events import IncidentEvent, stream_of
from chatops_plugins.incident.tables import incident_roles, incidents

if TYPE_CHECKING:
    from chatops.storage.db import Tx

_COLUMNS = [c.name for c in incidents.columns]


def _incident(row: Any) -> Incident:
    data = dict(row._mapping)
    data["status"] = Status(data["status"])
    data["tags"] = tuple(data["tags"] or ())
    data["services"] = tuple(data["services"] or ())
    return Incident(**data)


async def create(tx: Tx, **values: Any) -> int:
    values.setdefault("tags", [])
    values.setdefault("services", [])
    result = await tx.execute(insert(incidents).values(**values))
    return int(result.inserted_primary_key[0])


async def get(conn: AsyncConnection | Tx, incident_id: int) -> Incident | None:
    row = (await conn.execute(select(incidents).where(incidents.c.id == incident_id))).first()
    return None if row is None else _incident(row)


async def by_room(conn: AsyncConnection | Tx, room_id: str) -> Incident | None:
    row = (await conn.execute(select(incidents).where(incidents.c.room_id == room_id))).first()
    return None if row is None else _incident(row)


async def at(conn: AsyncConnection | Tx, place: str, bridged: Sequence[str] = ()) -> Incident | None:
    """The incident worked at ``place``: a room, or a thread (an incident's own, else its room's),
    or a room ``bridged`` with the incident's (``app.bridges.rooms``)."""
    found = await by_room(conn, place)
    room_id, thread = split_address(place)
    if found is None and thread is not None:
        found = await by_room(conn, room_id)  # a thread people opened inside an incident's room
    for other in bridged:
        if found is not None:
            break
        if other != room_id:
            found = await by_room(conn, other)
    return found


async def listing(conn: AsyncConnection | Tx, *, only_open: bool = True) -> list[Incident]:
    query = select(incidents).order_by(incidents.c.id)
    if only_open:
        query = query.where(incidents.c.status.in_([s.value for s in OPEN]))
    return [_incident(row) for row in (await conn.execute(query)).all()]


async def save(tx: Tx, incident: Incident) -> None:
    """Write every field of ``incident`` back to its row."""
    values = {k: v for k, v in asdict(incident).items() if k in _COLUMNS and k != "id"}
    values["status"] = incident.status.value
    values["tags"] = list(incident.tags)
    values["services"] = list(incident.services)
    await tx.execute(update(incidents).where(incidents.c.id == incident.id).values(**values))


async def set_room(
    tx: Tx, incident_id: int, room_id: str, room_name: str, status_message_id: str | None
) -> None:
    await tx.execute(
        update(incidents)
        .where(incidents.c.id == incident_id)
        .values(room_id=room_id, room_name=room_name, status_message_id=status_message_id)
    )


async def record(tx: Tx, event: IncidentEvent) -> IncidentEvent:
    stored = await event_log.record(tx, event)
    assert isinstance(stored, IncidentEvent)
    return stored


async def roles(conn: AsyncConnection | Tx, incident_id: int) -> dict[str, User]:
    rows = (
        await conn.execute(select(incident_roles).where(incident_roles.c.incident_id == incident_id))
    ).all()
    return {row.role: User(id=row.user_id, name=row.user_name) for row in rows}


async def set_role(tx: Tx, incident_id: int, role: str, user: User | None) -> None:
    await tx.execute(
        delete(incident_roles).where(
            incident_roles.c.incident_id == incident_id, incident_roles.c.role == role
        )
    )
    if user is not None:
        await tx.execute(
            insert(incident_roles).values(
                incident_id=incident_id, role=role, user_id=user.id, user_name=user.name
            )
        )


async def participants(conn: AsyncConnection | Tx, incident: Incident) -> set[str]:
    """Everyone who declared, holds or held a role, or wrote to the incident."""
    actors = (
        await conn.execute(select(events.c.actor).where(events.c.stream == stream_of(incident.id)).distinct())
    ).scalars()
    holders = (await roles(conn, incident.id)).values()
    return {incident.declared_by, *actors, *(u.id for u in holders)}


async def timeline(conn: AsyncConnection, incident_id: int) -> list[event_log.DomainEvent]:
    return await event_log.stream(conn, stream_of(incident_id))
