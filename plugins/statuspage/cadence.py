"""Keeping people told: stakeholder summaries, and reminders when the public page falls silent.

A stakeholder room (config) gets a short, impact-first summary when an
incident is declared, changes severity, is mitigated and is resolved.  The
Comms Lead (else the IC) is reminded in the incident room when the status
page has not been updated for the severity's cadence (``update_every``).
Private incidents are left out of both, and so is an incident whose
severity's process (``severity.levels[].stakeholders`` / ``status_page``)
never asked for them: a Sev3 bothers nobody outside its thread.  Drills
(practice incidents) send stakeholders nothing, and their Comms Lead is
reminded as in a real one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from chatops.clock import format_duration, parse_duration
from chatops.events import DomainEvent
from chatops.scheduler import Timer
from chatops_plugins.incident import lookup
from chatops_plugins.incident import store as incidents
from chatops_plugins.incident.domain import Incident
from chatops_plugins.incident.process import process_of
from chatops_plugins.statuspage import store
from chatops_plugins.statuspage.config import StatuspageConfig

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

REMIND = "statuspage.remind"
SUMMARISED = ("incident_declared", "severity_changed", "status_changed")


def settings(app: App) -> StatuspageConfig:
    found: StatuspageConfig = app.section("statuspage")
    return found


def _key(incident_id: int) -> str:
    return f"statuspage:cadence:{incident_id}"


def every(app: App, severity: int) -> timedelta | None:
    text = settings(app).update_every.get(severity)
    return parse_duration(text) if text else None


def summary(event: DomainEvent, incident: Incident, label: str) -> str | None:
    """One impact-first line for stakeholders, or None for changes they need not hear of."""
    data: dict[str, Any] = event.data()
    head = f"{label} · {incident.ref} · {incident.title}"
    if event.kind == "incident_declared":
        return f"🔴 {head}: declared. Impact is being assessed; updates follow."
    if event.kind == "severity_changed":
        return f"🟠 {head}: severity now {label}."
    if event.kind == "status_changed" and data.get("to_status") == "mitigated":
        return f"🟡 {head}: mitigated; impact has stopped and we are monitoring."
    if event.kind == "status_changed" and data.get("to_status") == "resolved":
        return f"🟢 {head}: resolved."
    return None


async def observe(tx: Tx, event: DomainEvent) -> None:
    """Summaries for stakeholders; the cadence timer armed, re-armed and ended."""
    app = tx.app
    assert app is not None
    prefix, _, number = event.stream.partition(":")
    if prefix != "incident" or not number.isdigit():
        return
    if event.kind not in (*SUMMARISED, "status_published"):
        return
    incident = await incidents.get(tx, int(number))
    if incident is None or incident.private:
        return
    process = await process_of(app, tx, incident)
    room = settings(app).stakeholder_room
    if room and event.kind in SUMMARISED and process.stakeholders and not incident.drill:
        line = summary(event, incident, lookup.scale_of(app).label(incident.severity))
        if line:
            await tx.send(room, line)
    data = event.data()
    public = await store.public_of(tx, incident.id)
    reopened = event.kind == "status_changed" and data.get("from_status") == "resolved"
    if reopened and public is not None and public.status == "resolved" and incident.room_id:
        await tx.send(
            incident.room_id,
            f"⚠️ {incident.ref} is open again but the status page says resolved: "
            '!statuspage draft "<what customers should know>" --status investigating, '
            "then !statuspage publish",
        )
    if not incident.is_open:
        await app.scheduler.cancel(tx, _key(incident.id))
        return
    cadence = every(app, incident.severity) if process.status_page else None
    if cadence is None:
        await app.scheduler.cancel(tx, _key(incident.id))
        return
    if event.kind in ("incident_declared", "status_published", "severity_changed") or reopened:
        # Counted from when customers last heard: a severity change does not restart the silence.
        heard = public.updated_at if public is not None and event.kind != "status_published" else event.at
        due = max(app.clock.now(), heard + cadence)
        await app.scheduler.schedule(
            tx, kind=REMIND, key=_key(incident.id), due_at=due, payload={"incident_id": incident.id}
        )


async def remind(tx: Tx, timer: Timer) -> None:
    """The page has been silent for the cadence: whoever speaks for the incident hears of it."""
    app = tx.app
    assert app is not None
    incident = await incidents.get(tx, timer.payload["incident_id"])
    if incident is None or not incident.is_open or not incident.room_id:
        return
    cadence = every(app, incident.severity)
    if cadence is None or not (await process_of(app, tx, incident)).status_page:
        return
    roles = await incidents.roles(tx, incident.id)
    who = roles.get("comms-lead") or roles.get("ic")
    mention = f"@{who.name} " if who else ""
    label = lookup.scale_of(app).label(incident.severity)
    await tx.send(
        incident.room_id,
        f"{mention}The status page has not been updated for {format_duration(cadence)} "
        f'({label} cadence): !statuspage draft "<what customers should know>" then !statuspage publish',
    )
    await app.scheduler.schedule(
        tx, kind=REMIND, key=timer.key, due_at=app.clock.now() + cadence, payload=timer.payload
    )
