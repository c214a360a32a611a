"""Links between incidents, stored: related incidents and merged duplicates (table, events, reads).

One row per direction (``incident_links``, migration ``incident_links_0001``):

- ``related``: both ways, (7, 9) and (9, 7);
- a merge of 9 into 7: (9, 7, ``duplicate_of``) and (7, 9, ``merged``); it
  replaces a ``related`` link between the two.

Every link, unlink and merge is also an event in both incidents' streams, so
both timelines tell it.  The rules are pure, in ``relations``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, Integer, MetaData, Select, String, Table, and_, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from chatops.context import UserError
from chatops.events import DomainEvent
from chatops.storage.types import UTCDateTime
from chatops_plugins.incident import store
from chatops_plugins.incident.domain import Incident, Refused
from chatops_plugins.incident.events import IncidentEvent
from chatops_plugins.incident.relations import Relations, check_reopen

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

RELATED = "related"
DUPLICATE_OF = "duplicate_of"
MERGED = "merged"

metadata = MetaData()

incident_links = Table(
    "incident_links",
    metadata,
    Column("incident_id", Integer, primary_key=True),
    Column("other_id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),  # related | duplicate_of | merged
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(255), nullable=False),
)


class IncidentLinked(IncidentEvent):
    """In both streams: this incident and ``other_id`` are related."""

    kind = "incident_linked"
    other_id: int


class IncidentUnlinked(IncidentEvent):
    kind = "incident_unlinked"
    other_id: int


class MergedInto(IncidentEvent):
    """In the duplicate's stream: it was merged into ``other_id`` (``text``: the reason)."""

    kind = "merged_into"
    other_id: int


class DuplicateMerged(IncidentEvent):
    """In the survivor's stream: the duplicate ``other_id`` was merged into it."""

    kind = "duplicate_merged"
    other_id: int


async def relations(conn: AsyncConnection | Tx, incident_id: int) -> Relations:
    rows = (
        await conn.execute(
            select(incident_links.c.other_id, incident_links.c.kind)
            .where(incident_links.c.incident_id == incident_id)
            .order_by(incident_links.c.other_id)
        )
    ).all()
    duplicate_of = next((r.other_id for r in rows if r.kind == DUPLICATE_OF), None)
    return Relations(
        related=tuple(r.other_id for r in rows if r.kind == RELATED),
        merged=tuple(r.other_id for r in rows if r.kind == MERGED),
        duplicate_of=duplicate_of,
    )


async def duplicate_of(conn: AsyncConnection | Tx, incident_id: int) -> int | None:
    """The incident this one was merged into, or None."""
    query = select(incident_links.c.other_id).where(
        incident_links.c.incident_id == incident_id, incident_links.c.kind == DUPLICATE_OF
    )
    found = (await conn.execute(query)).scalar()
    return None if found is None else int(found)


async def merged_into_chain(conn: AsyncConnection | Tx, incident_id: int) -> tuple[int, ...]:
    """Where the incident was merged, then where that one was, ...: nearest first (no cycles are stored)."""
    chain: list[int] = []
    current = await duplicate_of(conn, incident_id)
    while current is not None and current not in chain and current != incident_id:
        chain.append(current)
        current = await duplicate_of(conn, current)
    return tuple(chain)


def duplicate_ids() -> Select[tuple[int]]:
    """A subquery of every merged duplicate's id (metrics leaves them out)."""
    return select(incident_links.c.incident_id).where(incident_links.c.kind == DUPLICATE_OF)


def _pair(a: int, b: int) -> ColumnElement[bool]:
    return or_(
        and_(incident_links.c.incident_id == a, incident_links.c.other_id == b),
        and_(incident_links.c.incident_id == b, incident_links.c.other_id == a),
    )


async def link(tx: Tx, a: int, b: int, at: datetime, actor: str) -> None:
    await tx.execute(
        insert(incident_links),
        [
            {"incident_id": a, "other_id": b, "kind": RELATED, "at": at, "actor": actor},
            {"incident_id": b, "other_id": a, "kind": RELATED, "at": at, "actor": actor},
        ],
    )
    await store.record(tx, IncidentLinked.of(a, at, actor, other_id=b))
    await store.record(tx, IncidentLinked.of(b, at, actor, other_id=a))


async def unlink(tx: Tx, a: int, b: int, at: datetime, actor: str) -> None:
    await tx.execute(delete(incident_links).where(_pair(a, b)))
    await store.record(tx, IncidentUnlinked.of(a, at, actor, other_id=b))
    await store.record(tx, IncidentUnlinked.of(b, at, actor, other_id=a))


async def mark_merged(tx: Tx, duplicate: int, survivor: int, at: datetime, actor: str) -> None:
    """The link rows of a merge (replacing a ``related`` link between the two); events are the caller's."""
    await tx.execute(delete(incident_links).where(_pair(duplicate, survivor)))
    await tx.execute(
        insert(incident_links),
        [
            {"incident_id": duplicate, "other_id": survivor, "kind": DUPLICATE_OF, "at": at, "actor": actor},
            {"incident_id": survivor, "other_id": duplicate, "kind": MERGED, "at": at, "actor": actor},
        ],
    )


async def merged_timeline(conn: AsyncConnection, incident_id: int) -> list[tuple[int, DomainEvent]]:
    """The incident's events and those of every duplicate merged into it (and into those), as
    ``(incident id, event)`` in the order they happened."""
    seen: list[int] = []
    todo = [incident_id]
    while todo:
        current = todo.pop(0)
        if current in seen:
            continue
        seen.append(current)
        todo.extend((await relations(conn, current)).merged)
    entries: list[tuple[int, DomainEvent]] = []
    for number in seen:
        entries.extend((number, event) for event in await store.timeline(conn, number))
    entries.sort(key=lambda entry: (entry[1].at, entry[1].id or 0))
    return entries


def export_fields(found: Relations) -> dict[str, object]:
    """What ``chatops export`` adds to each incident (docs/export-format.md)."""
    return {
        "related": [f"INC-{n}" for n in found.related],
        "duplicate_of": None if found.duplicate_of is None else f"INC-{found.duplicate_of}",
        "merged": [f"INC-{n}" for n in found.merged],
    }


async def annotate(conn: AsyncConnection, records: Sequence[dict[str, object]]) -> None:
    """Add the links to exported incident records (in place)."""
    for record in records:
        number = record["id"]
        assert isinstance(number, int)
        record.update(export_fields(await relations(conn, number)))


async def refuse_reopening_a_duplicate(app: App, incident: Incident) -> None:
    """``UserError`` when ``incident`` was merged into another (``!incident reopen`` asks this first)."""
    async with app.db.read() as conn:
        found = await relations(conn, incident.id)
    try:
        check_reopen(incident, found)
    except Refused as refused:
        raise UserError(str(refused)) from None
