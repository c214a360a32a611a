"""Gathering a drill's facts from the record (its stream, its incident's stream, its pages)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chatops import events as event_log
from chatops.events import DomainEvent
from chatops.storage.db import Tx
from chatops_plugins.drill import store
from chatops_plugins.drill.debrief import Facts, Moment, PageFacts, Pause
from chatops_plugins.drill.events import stream_of
from chatops_plugins.incident import lookup
from chatops_plugins.incident.events import stream_of as incident_stream
from chatops_plugins.oncall import paging

if TYPE_CHECKING:
    from chatops.app import App

ROLE_LABELS = {"ic": "Incident Commander", "tech-lead": "Tech Lead", "comms-lead": "Comms Lead"}


def name(account: str | None) -> str | None:
    """``test:alice`` -> ``@alice`` (people by name, not by id)."""
    if not account or account in ("chatops", "drill", "oncall"):
        return None
    return "@" + account.split(":", 1)[-1]


def pauses(timeline: list[DomainEvent], ended_at: datetime | None) -> tuple[Pause, ...]:
    found: list[Pause] = []
    began: datetime | None = None
    for event in timeline:
        if event.kind == "drill_paused":
            began = event.at
        elif event.kind == "drill_resumed" and began is not None:
            found.append((began, event.at))
            began = None
    if began is not None and ended_at is not None:  # stopped while paused
        found.append((began, ended_at))
    return tuple(found)


async def gather(conn: Any, app: App, drill: store.Drill, ended: Moment | None) -> Facts:
    """The facts of ``drill`` (``conn``: a connection, or the ending write's ``tx``)."""
    db = conn.conn if isinstance(conn, Tx) else conn
    timeline = await event_log.stream(db, stream_of(drill.id))
    plan = drill.plan
    scale = lookup.scale_of(app)
    started = next((e for e in timeline if e.kind == "drill_started"), None)
    first_alert: Moment | None = None
    pages: list[PageFacts] = []
    for event in timeline:
        if event.kind != "drill_inject_played":
            continue
        data = event.data()
        if data["inject_kind"] == "alert" and first_alert is None:
            first_alert = Moment(event.at, f"first alert: {data['text']}")
        if data.get("page_id") is not None:
            page = await paging.get(conn, int(data["page_id"]))
            paged = Moment(
                event.at, f"paged ({page.ref if page else 'page'}): {data['text']}", f"@{data['paged']}"
            )
            acked = None
            if page is not None and page.acked_at is not None:
                acked = Moment(page.acked_at, f"acknowledged {page.ref}", f"@{page.acked_by}")
            pages.append(PageFacts(paged, acked))
    facts = Facts(
        ref=drill.ref,
        title=plan.title,
        scenario=plan.name,
        ic=drill.ic,
        started=Moment(
            drill.started_at, "drill started", name(started.actor if started else drill.started_by)
        ),
        ended=ended,
        pauses=pauses(timeline, ended.at if ended else None),
        intended_severity=plan.severity,
        first_alert=first_alert,
        pages=tuple(pages),
        declared=None,
        cadence={level.number: level.update_every for level in scale.levels},
        labels={level.number: level.name for level in scale.levels},
    )
    if drill.incident_id is None:
        return facts
    return await _incident_facts(db, facts, drill.incident_id)


async def _incident_facts(db: Any, facts: Facts, incident_id: int) -> Facts:
    ref = f"INC-{incident_id}"
    declared: Moment | None = None
    severities: list[tuple[datetime, int]] = []
    roles: dict[str, Moment] = {}
    updates: list[Moment] = []
    status: dict[str, Moment] = {}
    for event in await event_log.stream(db, incident_stream(incident_id)):
        data = event.data()
        who = name(event.actor)
        if event.kind == "incident_declared":
            level = int(data["severity"])
            declared = Moment(
                event.at, f"declared {ref} as {facts.labels.get(level, level)}: “{data['title']}”", who
            )
            severities.append((event.at, level))
        elif event.kind == "severity_changed":
            severities.append((event.at, int(data["to_severity"])))
        elif event.kind == "role_assigned" and data.get("user_name") and data["role"] not in roles:
            label = ROLE_LABELS.get(data["role"], data["role"])
            roles[data["role"]] = Moment(event.at, f"@{data['user_name']} became {label}", who)
        elif event.kind == "update_posted":
            updates.append(Moment(event.at, f"update: {data.get('text') or ''}", who))
        elif event.kind == "status_changed" and data["to_status"] not in status:
            text = f": {data['text']}" if data.get("text") else ""
            status[data["to_status"]] = Moment(event.at, f"{data['to_status']}{text}", who)
    return replace(
        facts,
        incident=ref,
        declared=declared,
        severities=tuple(severities),
        roles=roles,
        updates=tuple(updates),
        identified=status.get("identified"),
        mitigated=status.get("mitigated"),
        resolved=status.get("resolved"),
    )
