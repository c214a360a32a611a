"""Postmortems and action items as rows; a postmortem Document gathered from what is stored."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from chatops import events as event_log
from chatops.events import DomainEvent
from chatops_plugins.incident import lookup
from chatops_plugins.incident import store as incidents
from chatops_plugins.incident.domain import Incident
from chatops_plugins.incident.events import stream_of
from chatops_plugins.oncall.schedule import localize
from chatops_plugins.postmortem.document import Action, Document, Entry, Facts
from chatops_plugins.postmortem.tables import action_items, postmortems
from chatops_plugins.timeline import describe, several_platforms, who

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

OPEN, DONE, DROPPED = "open", "done", "dropped"
DRAFT, PUBLISHED = "draft", "published"
OWN_KINDS = ("postmortem_", "action_item_")  # the postmortem's own events are not the incident's story
REMIND = "postmortem.action_due"


class PostmortemEvent(DomainEvent):
    text: str


class PostmortemStarted(PostmortemEvent):
    kind = "postmortem_started"


class PostmortemPublished(PostmortemEvent):
    kind = "postmortem_published"


class ActionItemEvent(DomainEvent):
    item_id: int
    text: str


class ActionItemAdded(ActionItemEvent):
    kind = "action_item_added"


class ActionItemClosed(ActionItemEvent):
    kind = "action_item_closed"


class ActionItemReopened(ActionItemEvent):
    kind = "action_item_reopened"


def reminder_key(item_id: int) -> str:
    return f"postmortem:action:{item_id}"


def remind_at(tz: Any, day: date, at: str) -> datetime:
    """``at`` o'clock local time on ``day`` (a time skipped by DST: when the clocks jump)."""
    return localize(datetime.combine(day, time.fromisoformat(at)), tz)


async def close(
    tx: Tx, row: Any, status: str, *, by: str, at: datetime, reason: str | None, line: str
) -> None:
    """Close the open action item ``row`` (done or dropped): its reminder stops, the timeline says so."""
    assert tx.app is not None
    await tx.execute(
        update(action_items)
        .where(action_items.c.id == row.id)
        .values(status=status, closed_at=at, closed_by=by, drop_reason=reason)
    )
    await tx.app.scheduler.cancel(tx, reminder_key(row.id))
    event = ActionItemClosed(stream=stream_of(row.incident_id), at=at, actor=by, item_id=row.id, text=line)
    await event_log.record(tx, event)


def action(row: Any) -> Action:
    return Action(row.id, row.text, row.owner_name, date.fromisoformat(row.due), row.status)


async def row_of(conn: Any, incident_id: int) -> Any:
    return (await conn.execute(select(postmortems).where(postmortems.c.incident_id == incident_id))).first()


async def start(tx: Tx, incident_id: int, by: str, now: datetime) -> bool:
    """Create the draft; False when one exists already."""
    if await row_of(tx, incident_id) is not None:
        return False
    await tx.execute(
        insert(postmortems).values(
            incident_id=incident_id,
            sections={},
            chain=[],
            status=DRAFT,
            created_by=by,
            created_at=now,
            updated_at=now,
        )
    )
    return True


async def save(tx: Tx, incident_id: int, **values: Any) -> None:
    await tx.execute(update(postmortems).where(postmortems.c.incident_id == incident_id).values(**values))


async def actions_of(conn: Any, incident_id: int) -> list[Action]:
    rows = await conn.execute(
        select(action_items)
        .where(action_items.c.incident_id == incident_id, action_items.c.status != DROPPED)
        .order_by(action_items.c.id)
    )
    return [action(row) for row in rows]


async def document(app: App, conn: Any, incident: Incident) -> Document:
    """Everything the postmortem of ``incident`` says, from what is stored."""
    scale = lookup.scale_of(app)
    row = await row_of(conn, incident.id)
    roles = await incidents.roles(conn, incident.id)
    labels = {"ic": "Incident Commander", "tech-lead": "Tech Lead", "comms": "Comms Lead"}
    events = [e for e in await incidents.timeline(conn, incident.id) if not e.kind.startswith(OWN_KINDS)]
    facts = Facts(
        ref=incident.ref,
        title=incident.title,
        severity=scale.label(incident.severity),
        status=str(incident.status),
        near_miss=incident.near_miss,
        declared_at=incident.declared_at,
        started_at=incident.started_at,
        detected_at=incident.detected_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        services=incident.services,
        roles=tuple((labels.get(role, role), f"@{user.name}") for role, user in roles.items()),
    )
    several = several_platforms(event.actor for event in events)  # a bridged incident: say where
    timeline = tuple(
        Entry(event.at, who(app, event.actor, several), describe(event, scale), ":" in event.actor)
        for event in events
    )
    return Document(
        facts=facts,
        sections=dict(row.sections) if row else {},
        chain=tuple(row.chain) if row else (),
        timeline=timeline,
        actions=tuple(await actions_of(conn, incident.id)),
        status=row.status if row else DRAFT,
        published_at=row.published_at if row else None,
    )
