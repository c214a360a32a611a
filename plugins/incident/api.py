"""What ``!incident declare`` and ``!incident update`` do, for other plugins too.

An alert plugin declares from an alert group (no command, maybe no person);
the command declares from chat; the HTTP API declares and posts updates for
an integration.  All store the incident and its events in the caller's
transaction, then open the room (``rooms.open_room_for``) or show the update
(``show_update``) once that has committed.  The rules (title length, labels,
who may see a private incident) live here so every way in applies the same.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from chatops.models.chat import User, split_address
from chatops.transports.base import slugify
from chatops_plugins.incident import rooms, store
from chatops_plugins.incident.config import IncidentConfig
from chatops_plugins.incident.domain import Incident, Refused, Status
from chatops_plugins.incident.events import IncidentDeclared, RoleAssigned, UpdatePosted

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from chatops.app import App
    from chatops.storage.db import Tx

LABEL_MAX = 64


def check_title(app: App, title: str) -> None:
    """``Refused`` when the title is blank or over ``incident.max_title_chars``."""
    settings: IncidentConfig = app.section("incident")
    if not title.strip():
        raise Refused("An incident needs a title: what is wrong, as users see it.")
    if len(title) > settings.max_title_chars:
        raise Refused(f"Titles are limited to {settings.max_title_chars} characters; put detail in a note.")


def clean_label(raw: str) -> str:
    """A tag or a service name, stripped: 1 to 64 characters (``ValueError`` otherwise)."""
    value = raw.strip()
    if not value or len(value) > LABEL_MAX:
        raise ValueError(f"use 1 to {LABEL_MAX} characters")
    return value


async def visible_to(conn: AsyncConnection | Tx, incident: Incident, actor_id: str, admin: bool) -> bool:
    """A private incident is seen only by its participants and admins; others see every incident."""
    return not incident.private or admin or actor_id in await store.participants(conn, incident)


async def is_practice_room(tx: Tx, app: App, room_id: str | None) -> bool:
    """Whether a plugin (the drill plugin) says ``room_id`` is a practice room."""
    if room_id is None:
        return False
    return bool(await app.hooks.call_first("chatops_practice_room", tx=tx, room_id=room_id))


async def declare(
    tx: Tx,
    app: App,
    *,
    title: str,
    severity: int,
    severity_confirmed: bool,
    declarer: User,
    origin_room_id: str | None,
    started_at: datetime | None = None,
    detected_at: datetime | None = None,
    private: bool = False,
    near_miss: bool = False,
    tags: list[str] | None = None,
    services: list[str] | None = None,
    paged: bool = False,
    declarer_is_ic: bool | None = None,
) -> Incident:
    """Store a new incident and its declaration.

    ``detected_at`` defaults to now (when we knew); ``started_at`` is when
    impact began, if known.  ``paged`` says the declaration comes with its
    own page (an alert's), so the severity's policy need not page again.
    The declarer becomes Incident Commander when ``declarer_is_ic`` (by
    default: when ``incident.declarer_is_ic`` says so); a plugin declaring
    on nobody's behalf passes False.  Declared in a practice room (a drill's:
    ``chatops_practice_room``), the incident is a drill, decided here before
    any event is recorded: observers page and publish inside this transaction.
    """
    settings: IncidentConfig = app.section("incident")
    now = app.clock.now()
    tags, services = sorted(set(tags or [])), sorted(set(services or []))
    drill = await is_practice_room(tx, app, origin_room_id)
    new_id = await store.create(
        tx,
        title=title,
        severity=severity,
        status=Status.INVESTIGATING.value,
        private=private,
        near_miss=near_miss,
        drill=drill,
        declared_at=now,
        declared_by=declarer.id,
        detected_at=detected_at or now,
        started_at=started_at,
        room_name="",
        origin_room_id=origin_room_id,
        tags=tags,
        services=services,
    )
    created = await store.get(tx, new_id)
    assert created is not None
    created = replace(created, room_name=f"{settings.room_prefix}-{new_id}-{slugify(title)}")
    await store.save(tx, created)
    await store.record(
        tx,
        IncidentDeclared.of(
            new_id,
            now,
            declarer.id,
            title=title,
            severity=severity,
            severity_confirmed=severity_confirmed,
            private=private,
            near_miss=near_miss,
            drill=drill,
            started_at=started_at,
            detected_at=detected_at,
            tags=tags,
            services=services,
            origin_room_id=origin_room_id,
            paged=paged,
        ),
    )
    if settings.declarer_is_ic if declarer_is_ic is None else declarer_is_ic:
        await store.set_role(tx, new_id, "ic", declarer)
        await store.record(
            tx,
            RoleAssigned.of(
                new_id,
                now,
                declarer.id,
                role="ic",
                role_label="Incident Commander",
                user_id=declarer.id,
                user_name=declarer.name,
            ),
        )
    return created


async def post_update(tx: Tx, app: App, incident_id: int, text: str, author: User) -> Incident:
    """Record a status update (the update reminder counts from it); ``Refused`` once resolved."""
    now = app.clock.now()
    current = await store.get(tx, incident_id)
    if current is None:
        raise LookupError(f"no incident INC-{incident_id}")
    if not current.is_open:
        raise Refused(
            f'{current.ref} is resolved; reopen it first if it regressed: !incident reopen "<reason>"'
        )
    changed = replace(current, last_update_at=now, last_update=text)
    await store.save(tx, changed)
    await store.record(tx, UpdatePosted.of(incident_id, now, author.id, text=text))
    return changed


async def show_update(app: App, incident: Incident, text: str, author: str, answered_in: str | None) -> None:
    """After the commit: the room's status shows the update, and the room hears it
    (unless the update was written in the room itself, where its author's reply says so)."""
    await rooms.refresh(app, incident.id)
    here = {answered_in, split_address(answered_in)[0]} if answered_in else set()
    if incident.room_id and incident.room_id not in here:
        await app.outbound.send(incident.room_id, f"Update from {author}: {text}")
