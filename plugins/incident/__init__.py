"""Built-in plugin ``incident``: declare incidents, move them through their states, keep the record.

Statuses: investigating -> identified -> mitigated -> resolved (reopen on a
regression).  The severity scale comes from ``chatops_severity_scale`` (the
``severity`` plugin); role holders are stored here and managed by the
``roles`` plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chatops import CommandGroup, hookimpl
from chatops_plugins.incident import export, links, lookup
from chatops_plugins.incident.commands import incident
from chatops_plugins.incident.config import IncidentConfig

if TYPE_CHECKING:
    from chatops.app import App


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"incident": IncidentConfig}


@hookimpl
def chatops_migration_locations() -> list[str]:
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def chatops_commands() -> list[CommandGroup]:
    return [incident]


@hookimpl
def chatops_startup(app: App) -> None:
    lookup.scale_of(app)  # ask for the severity scale once, at start, not on a command's path


@hookimpl
async def chatops_export(app: App) -> dict[str, Any]:
    records = await export.export_incidents(app, lookup.scale_of(app))
    async with app.db.read() as conn:
        await links.annotate(conn, records)  # related incidents and merges
    return {"incidents": records}
