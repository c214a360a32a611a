"""How an incident reads in chat (UX: impact first, same words everywhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatops.models.content import Button, Buttons, Content, Text
from chatops.timefmt import local_time, relative
from chatops_plugins.incident.domain import Incident, SeverityScale, Status, monitoring_until, next_update_due

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.transports.base import Transport


# The impact-first shape the bot suggests for updates (a suggestion, not a rule).
UPDATE_SHAPE = '"<what users see> — <mitigation status> — <next update>"'
DRILL_MARK = "🧪 DRILL"


def drill_prefix(incident: Incident) -> str:
    """``🧪 DRILL · `` before a practice incident's name wherever it is shown; nothing otherwise."""
    return f"{DRILL_MARK} · " if incident.drill else ""


def headline(incident: Incident, scale: SeverityScale, app: App) -> str:
    status = str(incident.status)
    until = monitoring_until(incident, scale)
    if until is not None:
        status += f" (monitoring until {local_time(until, app.tz, app.clock.now())})"
    marks = "".join(
        f" · {mark}" for mark, on in (("private", incident.private), ("near-miss", incident.near_miss)) if on
    )
    return (
        f"{drill_prefix(incident)}{incident.ref} · {scale.label(incident.severity)} · {status} · "
        f'"{incident.title}"{marks}'
    )


def cadence_line(incident: Incident, scale: SeverityScale, app: App) -> str | None:
    now = app.clock.now()
    due = next_update_due(incident, scale)
    last = (
        f"Last update {local_time(incident.last_update_at, app.tz, now)}"
        if incident.last_update_at
        else "No update yet"
    )
    if incident.status == Status.RESOLVED:
        return None
    if due is None:
        return f"{last} · no update cadence for {scale.label(incident.severity)}"
    return f"{last} · next due {local_time(due, app.tz, now)} ({relative(due, now)})"


async def status_text(app: App, incident: Incident, scale: SeverityScale) -> str:
    lines = [headline(incident, scale, app)]
    if incident.last_update:
        lines.append(f"Impact: {incident.last_update}")
    elif incident.is_open:
        lines.append(f"Impact: not described yet — !incident update {UPDATE_SHAPE}")
    for extra in await app.hooks.call("chatops_incident_status_lines", app=app, incident=incident):
        lines.extend(extra)
    if incident.hypothesis:
        lines.append(f"Hypothesis: {incident.hypothesis}")
    cadence = cadence_line(incident, scale, app)
    if cadence:
        lines.append(cadence)
    if incident.tags or incident.services:
        parts = []
        if incident.services:
            parts.append("Services: " + ", ".join(incident.services))
        if incident.tags:
            parts.append("Tags: " + ", ".join(incident.tags))
        lines.append(" · ".join(parts))
    if incident.room_id and incident.room_name:
        lines.append(f"Room: {incident.room_name}")
    return "\n".join(lines)


def status_buttons(incident: Incident) -> Buttons | None:
    """The next steps of an open incident, one press away (each is the command it stands for)."""
    if not incident.is_open:
        return None
    n = incident.id
    update = Button("Post update", f"incident.update:{n}", f"!incident update --id {n}")
    if incident.status == Status.MITIGATED:
        step = Button("Resolve", f"incident.resolve:{n}", f"!incident resolve --id {n}", "primary")
    else:
        step = Button("Mitigated", f"incident.mitigated:{n}", f"!incident mitigated --id {n}", "primary")
    return Buttons((update, step))


async def status_content(app: App, incident: Incident, scale: SeverityScale, transport: Transport) -> Content:
    """The live status message: its text, plus buttons where the platform has real ones."""
    text = await status_text(app, incident, scale)
    buttons = status_buttons(incident) if transport.capabilities.buttons else None
    blocks: tuple[Text | Buttons, ...] = (Text((text,)),) if buttons is None else (Text((text,)), buttons)
    return Content(blocks)


def topic(incident: Incident, scale: SeverityScale, ic_name: str | None) -> str:
    ic = f"IC @{ic_name}" if ic_name else "IC —"
    return (
        f"{drill_prefix(incident)}{incident.ref} · {scale.label(incident.severity)} · {incident.status} · "
        f"{incident.title} · {ic}"
    )
