"""The ``incidents`` section of ``chatops export`` (format: docs/export-format.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chatops.events import DomainEvent, kind_of
from chatops.timefmt import iso_utc
from chatops_plugins.incident import store
from chatops_plugins.incident.domain import Incident, SeverityScale

if TYPE_CHECKING:
    from chatops.app import App


def event_record(event: DomainEvent) -> dict[str, Any]:
    data = event.data()
    text = data.pop("text", None)
    data.pop("incident_id", None)
    return {"at": iso_utc(event.at), "actor": event.actor, "kind": kind_of(event), "text": text, "data": data}


def incident_record(
    inc: Incident, roles: dict[str, Any], timeline: list[DomainEvent], scale: SeverityScale
) -> dict[str, Any]:
    severity_history: list[dict[str, Any]] = []
    status_history: list[dict[str, Any]] = []
    role_history: list[dict[str, Any]] = []
    for event in timeline:
        data = event.data()
        kind = kind_of(event)
        if kind == "incident_declared":
            severity_history.append(
                {
                    "at": iso_utc(event.at),
                    "actor": event.actor,
                    "from": None,
                    "to": data["severity"],
                    "reason": None,
                }
            )
            status_history.append(
                {
                    "at": iso_utc(event.at),
                    "actor": event.actor,
                    "from": None,
                    "to": "investigating",
                    "text": None,
                    "forced": False,
                }
            )
        elif kind == "severity_changed":
            severity_history.append(
                {
                    "at": iso_utc(event.at),
                    "actor": event.actor,
                    "from": data["from_severity"],
                    "to": data["to_severity"],
                    "reason": data.get("text"),
                }
            )
        elif kind == "status_changed":
            status_history.append(
                {
                    "at": iso_utc(event.at),
                    "actor": event.actor,
                    "from": data["from_status"],
                    "to": data["to_status"],
                    "text": data.get("text"),
                    "forced": data.get("forced", False),
                }
            )
        elif kind == "role_assigned":
            role_history.append(
                {
                    "at": iso_utc(event.at),
                    "actor": event.actor,
                    "role": data["role"],
                    "user": data["user_id"],
                    "previous": data.get("previous_user_id"),
                }
            )
    return {
        "id": inc.id,
        "ref": inc.ref,
        "title": inc.title,
        "private": inc.private,
        "near_miss": inc.near_miss,
        "drill": inc.drill,
        "tags": list(inc.tags),
        "services": list(inc.services),
        "severity": inc.severity,
        "severity_label": scale.label(inc.severity),
        "status": inc.status.value,
        "started_at": iso_utc(inc.started_at),
        "detected_at": iso_utc(inc.detected_at),
        "declared_at": iso_utc(inc.declared_at),
        "mitigated_at": iso_utc(inc.mitigated_at),
        "resolved_at": iso_utc(inc.resolved_at),
        "room": inc.room_name or None,
        "severity_history": severity_history,
        "status_history": status_history,
        "roles": {role: {"user": user.id, "name": user.name} for role, user in sorted(roles.items())},
        "role_history": role_history,
        "timeline": [event_record(e) for e in timeline],
    }


async def export_incidents(app: App, scale: SeverityScale) -> list[dict[str, Any]]:
    records = []
    async with app.db.read() as conn:
        for inc in await store.listing(conn, only_open=False):
            records.append(
                incident_record(
                    inc, await store.roles(conn, inc.id), await store.timeline(conn, inc.id), scale
                )
            )
    return records
