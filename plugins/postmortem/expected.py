"""Whether an incident owes a postmortem, said when it is resolved and chased until published.

The incident's process (the heaviest of every severity it has had) decides:
``required`` -- the room is told, and the IC is reminded from
``postmortem.due_within`` after the resolution until one is published;
``optional`` -- the room is told it may write one; ``none`` -- nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from chatops.clock import parse_duration
from chatops.events import DomainEvent
from chatops.scheduler import Timer
from chatops_plugins.incident import links, lookup
from chatops_plugins.incident import store as incidents
from chatops_plugins.incident.domain import Incident, Postmortem
from chatops_plugins.incident.process import process_of, severities_ever
from chatops_plugins.postmortem import store
from chatops_plugins.postmortem.config import PostmortemConfig

if TYPE_CHECKING:
    from chatops.storage.db import Tx

DUE = "postmortem.due"


def _key(incident_id: int) -> str:
    return f"postmortem:due:{incident_id}"


async def on_status_changed(tx: Tx, event: DomainEvent) -> None:
    """Resolved: say what is expected (and arm the reminder); reopened: the reminder waits."""
    app = tx.app
    assert app is not None
    data = event.data()
    incident = await incidents.get(tx, int(data["incident_id"]))
    if incident is None:
        return
    if data.get("to_status") != "resolved":
        if data.get("from_status") == "resolved":
            await app.scheduler.cancel(tx, _key(incident.id))
        return
    if await _published(tx, incident.id):
        return
    if await links.duplicate_of(tx, incident.id) is not None:
        return  # a duplicate's story is told in the survivor's postmortem
    expected = (await process_of(app, tx, incident)).postmortem
    label = lookup.scale_of(app).label(min(await severities_ever(tx, incident)))
    settings: PostmortemConfig = app.section("postmortem")
    if expected is Postmortem.REQUIRED:
        due = app.clock.now() + parse_duration(settings.due_within)
        day = due.astimezone(app.tz).date()
        await _tell(
            tx,
            incident,
            f"📝 {incident.ref} needs a postmortem ({label}): start it with !postmortem start --id "
            f"{incident.id}; due by {day.isoformat()}.",
        )
        await app.scheduler.schedule(
            tx,
            kind=DUE,
            key=_key(incident.id),
            due_at=store.remind_at(app.tz, day, settings.remind_at),
            payload={"incident_id": incident.id},
        )
    elif expected is Postmortem.OPTIONAL:
        await _tell(
            tx,
            incident,
            f"📝 A postmortem is optional for {incident.ref} ({label}): "
            f"!postmortem start --id {incident.id} if there is something to learn.",
        )


async def remind(tx: Tx, timer: Timer) -> None:
    """The postmortem is due and not published: the IC (else the room) hears of it, and again later."""
    app = tx.app
    assert app is not None
    incident = await incidents.get(tx, timer.payload["incident_id"])
    if incident is None or incident.is_open or await _published(tx, incident.id):
        return
    ic = (await incidents.roles(tx, incident.id)).get("ic")
    text = (
        f"📝 The postmortem of {incident.ref} ({incident.title}) is due and not published: "
        f"!postmortem start --id {incident.id}, then !postmortem publish --id {incident.id}"
    )
    if ic is not None and ic.transport in app.transports:
        await tx.send_direct(ic, text)
    elif incident.room_id:
        await tx.send(incident.room_id, text)
    settings: PostmortemConfig = app.section("postmortem")
    every = max(1, parse_duration(settings.remind_every).days)
    next_day = app.clock.now().astimezone(app.tz).date() + timedelta(days=every)
    await app.scheduler.schedule(
        tx,
        kind=DUE,
        key=timer.key,
        due_at=store.remind_at(app.tz, next_day, settings.remind_at),
        payload=timer.payload,
    )


async def _tell(tx: Tx, incident: Incident, text: str) -> None:
    """In the incident's room or thread; a record (no room) hears it in the reminder alone."""
    if incident.room_id:
        await tx.send(incident.room_id, text)


async def _published(tx: Tx, incident_id: int) -> bool:
    row = await store.row_of(tx, incident_id)
    return row is not None and row.status == store.PUBLISHED
