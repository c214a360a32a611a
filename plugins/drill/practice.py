"""The practice incident: declared in a drill's room, marked a drill, linked to it, ended with it.

The incident plugin asks ``chatops_practice_room`` while it declares (before
any event is recorded), so the incident is a drill before paging, the status
page and metrics see it.  The drill then links the first incident declared
in its room, and its resolution ends the drill with the debrief.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatops import events as event_log
from chatops.events import DomainEvent
from chatops.models.chat import split_address
from chatops_plugins.drill import play, store
from chatops_plugins.drill.events import IncidentLinked
from chatops_plugins.incident import store as incidents
from chatops_plugins.oncall import people

if TYPE_CHECKING:
    from chatops.storage.db import Tx


async def drill_of_room(tx: Tx, room_id: str) -> store.Drill | None:
    """The drill held in ``room_id``: its own room, its practice incident's room, or the room of
    another incident declared from its room."""
    found = await store.in_room(tx, room_id)
    if found is not None:
        return found
    incident = await incidents.by_room(tx, room_id)
    if incident is not None and incident.drill and incident.origin_room_id:
        return await store.in_room(tx, incident.origin_room_id)
    return None


async def is_practice_room(tx: Tx, room_id: str) -> bool | None:
    """A drill's room stays a practice room (even once the drill ended), and so does a drill incident's.

    ``room_id`` may be a thread address: a thread of a drill's room is practice too.
    """
    found = await drill_of_room(tx, split_address(room_id)[0])
    if found is not None and found.state != store.FAILED:
        return True
    incident = await incidents.at(tx, room_id)
    return True if incident is not None and incident.drill else None


async def participants(tx: Tx, room_id: str) -> list[str] | None:
    """Who takes part: the drill's people, and anyone in the on-call config who acted in its incident."""
    app = tx.app
    assert app is not None
    found = await drill_of_room(tx, split_address(room_id)[0])
    if found is None:
        return None
    taking_part = list(found.participants)
    if found.incident_id is not None:
        incident = await incidents.get(tx, found.incident_id)
        accounts = await incidents.participants(tx, incident) if incident else set()
        for account in sorted(accounts):
            key = await people.person_of(app, tx, account)
            if key is not None and key not in taking_part:
                taking_part.append(key)
    return taking_part


async def observe(tx: Tx, event: DomainEvent) -> None:
    """Link a practice incident declared in a drill's room; end the drill when it is resolved."""
    app = tx.app
    assert app is not None
    data = event.data()
    if event.kind == "incident_declared" and data.get("drill") and data.get("origin_room_id"):
        found = await store.in_room(tx, str(data["origin_room_id"]))
        if found is None or not found.live or found.incident_id is not None:
            return
        incident_id = int(data["incident_id"])
        linked = await store.change(tx, found.id, incident_id=incident_id)
        await event_log.record(
            tx,
            IncidentLinked.of(
                found.id, event.at, event.actor, incident_id=incident_id, text=f"INC-{incident_id}"
            ),
        )
        await play.tell(
            tx,
            linked,
            f"{play.MARK} · INC-{incident_id} is {found.ref}'s practice incident: injects play in its room "
            "too, and resolving it ends the drill with the debrief.",
        )
    elif event.kind == "status_changed" and data.get("to_status") == "resolved":
        found = await store.of_incident(tx, int(data["incident_id"]))
        if found is not None and found.live:
            await play.end(tx, app, found, "resolved", event.actor)
