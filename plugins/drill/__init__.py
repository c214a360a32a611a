"""Built-in plugin ``drill``: practice incidents, played from a scenario, ending in a debrief.

``!drill start <scenario>`` opens a practice room, briefs it, names an
Incident Commander from the rotation, and plays the scenario's injects
(alerts, support tickets, a page, things getting worse) on durable timers.
People respond with the ordinary commands; an incident declared there is a
drill (``chatops_practice_room``): it pages only drill participants, in
chat; it publishes to a sandbox status page; it is never counted in
metrics.  When it is resolved (or the drill stopped) the debrief measures
the response, each figure with the events that decided it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chatops import CommandGroup, hookimpl
from chatops.events import DomainEvent
from chatops.scheduler import TimerHandler
from chatops_plugins.drill import play, practice, store
from chatops_plugins.drill.commands import drill
from chatops_plugins.drill.config import DrillConfig

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"drill": DrillConfig}


@hookimpl
def chatops_migration_locations() -> list[str]:
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def chatops_commands() -> list[CommandGroup]:
    return [drill]


@hookimpl
def chatops_timer_handlers() -> dict[str, TimerHandler]:
    return {play.INJECT: play.fire}


@hookimpl
async def chatops_practice_room(tx: Tx, room_id: str) -> bool | None:
    return await practice.is_practice_room(tx, room_id)


@hookimpl
async def chatops_practice_participants(tx: Tx, room_id: str) -> list[str] | None:
    return await practice.participants(tx, room_id)


@hookimpl
async def chatops_event_recorded(tx: Tx, event: DomainEvent) -> None:
    await practice.observe(tx, event)


async def drills_report(app: App, since: datetime | None, format: str, out: Path | None) -> str:
    """``chatops report drills``: the debriefs of the drills that ended (since a day)."""
    async with app.db.read() as conn:
        ended = await store.ended_since(conn, since)
    if format == "json":
        import json

        rows = [
            {
                "id": d.id,
                "ref": d.ref,
                "scenario": d.scenario,
                "ic": d.ic,
                "ended_how": d.ended_how,
                "started_at": d.started_at.isoformat(),
                "debrief": d.debrief,
            }
            for d in ended
        ]
        return json.dumps({"drills": rows}, indent=2)
    text = "\n".join(d.debrief or "" for d in ended) or "No drill has ended yet.\n"
    if format == "html":
        import html

        return f"<!doctype html><html lang='en'><meta charset='utf-8'><pre>{html.escape(text)}</pre></html>\n"
    return text


@hookimpl
def chatops_reports(app: App) -> dict[str, Any]:
    return {"drills": drills_report}
