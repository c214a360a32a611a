"""Declaring an incident from elsewhere: what ``!incident declare`` does, for other plugins too.

An alert plugin declares from an alert group (no command, maybe no person);
the command declares from chat.  Both store the incident and its
declaration event in the caller's transaction, then open the room once
that has committed (``rooms.open_room_for``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from chatops.models.chat import User
from chatops.transports.base import slugify
from chatops_plugins.incident import store
from chatops_plugins.incident.config import IncidentConfig
from chatops_plugins.incident.domain import Incident, Status
from chatops_plugins.incident.events import IncidentDeclared, RoleAssigned

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx


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
    on nobody's behalf passes False.
    """
    settings: IncidentConfig = app.section("incident")
    now = app.clock.now()
    tags, services = sorted(set(tags or [])), sorted(set(services or []))
    new_id = await store.create(
        tx,
        title=title,
        severity=severity,
        status=Status.INVESTIGATING.value,
        private=private,
        near_miss=near_miss,
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
