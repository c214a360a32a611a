"""The process an incident carries: the heaviest of every severity it has had.

Raising the severity adds process (a room, pages, stakeholders, a required
postmortem); lowering it takes nothing back.  Plugins that scale what they
do by severity (the status page, the postmortem) ask here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatops import events
from chatops.storage.db import Tx
from chatops_plugins.incident import lookup
from chatops_plugins.incident.domain import Incident, Process, heaviest
from chatops_plugins.incident.events import stream_of

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from chatops.app import App


async def severities_ever(conn: AsyncConnection | Tx, incident: Incident) -> set[int]:
    """Every severity the incident has had: declared, changed to, and now."""
    raw = conn.conn if isinstance(conn, Tx) else conn
    history = await events.stream(raw, stream_of(incident.id), ("incident_declared", "severity_changed"))
    levels = {incident.severity}
    for event in history:
        data = event.data()
        levels.add(int(data["severity"] if event.kind == "incident_declared" else data["to_severity"]))
    return levels


async def process_of(app: App, conn: AsyncConnection | Tx, incident: Incident) -> Process:
    scale = lookup.scale_of(app)
    return heaviest([scale.process(level) for level in sorted(await severities_ever(conn, incident))])
