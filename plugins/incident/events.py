"""The incident's domain events.  Each is stored once in the stream ``incident:<id>``.

``text`` carries what a person wrote (a note, an update, a reason) so the
timeline and the export can show it; everything else is structured data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from chatops.events import DomainEvent


def stream_of(incident_id: int) -> str:
    return f"incident:{incident_id}"


class IncidentEvent(DomainEvent):
    incident_id: int
    text: str | None = None

    @classmethod
    def of(cls, incident_id: int, at: datetime, actor: str, **fields: Any) -> Self:
        """An event of incident ``incident_id`` (its stream follows from the id)."""
        return cls(stream=stream_of(incident_id), at=at, actor=actor, incident_id=incident_id, **fields)


class IncidentDeclared(IncidentEvent):
    kind = "incident_declared"
    title: str
    severity: int
    severity_confirmed: bool
    private: bool = False
    near_miss: bool = False
    drill: bool = False  # declared in a practice room (a drill)
    started_at: datetime | None = None
    detected_at: datetime | None = None
    tags: list[str] = []
    services: list[str] = []
    origin_room_id: str | None = None
    paged: bool = False  # it came with its own page (an alert's): the severity's policy need not page


class SeverityChanged(IncidentEvent):
    kind = "severity_changed"
    from_severity: int
    to_severity: int


class RoleAssigned(IncidentEvent):
    kind = "role_assigned"
    role: str
    role_label: str = ""
    user_id: str | None
    user_name: str | None
    previous_user_id: str | None = None


class StatusChanged(IncidentEvent):
    kind = "status_changed"
    from_status: str
    to_status: str
    forced: bool = False


class UpdatePosted(IncidentEvent):
    kind = "update_posted"


class NoteAdded(IncidentEvent):
    kind = "note_added"


class HypothesisSet(IncidentEvent):
    kind = "hypothesis_set"


class TagAdded(IncidentEvent):
    kind = "tag_added"
    tag: str


class ServiceAdded(IncidentEvent):
    kind = "service_added"
    service: str


class RoomBridged(IncidentEvent):
    """The incident's room was opened on another platform too, and bridged with it."""

    kind = "room_bridged"
    room_id: str
    room_name: str
    platform: str


class RoomCreated(IncidentEvent):
    """The incident got its place: a room, or a thread (``thread``) in the channel it was declared in."""

    kind = "room_created"
    room_id: str
    room_name: str
    thread: bool = False
