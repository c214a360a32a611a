"""Built-in plugin ``postmortem``: postmortems drafted from the record, checked for blame, published;
action items that are specific, owned, dated, capped and chased.

The draft gathers the incident's facts and timeline (domain events) and
asks the room for the sections only people can write; ``blameless`` flags
sentences that make a person the cause; publishers (the collected hook
``chatops_postmortem_publish``; the built-in one writes files) receive the
rendered documents.  Action items go to the team's tracker through the
exporters of ``chatops_action_item_export`` (see ``export``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy import select

from chatops import hookimpl
from chatops.clock import parse_duration
from chatops.events import DomainEvent
from chatops.models.chat import User
from chatops.scheduler import Timer, TimerHandler
from chatops_plugins.postmortem import expected, export, report, store
from chatops_plugins.postmortem.commands import COMMANDS, REMIND, remind_at
from chatops_plugins.postmortem.config import PostmortemConfig
from chatops_plugins.postmortem.publish import chatops_postmortem_publish
from chatops_plugins.postmortem.tables import action_items

if TYPE_CHECKING:
    from chatops.storage.db import Tx

__all__ = ["chatops_postmortem_publish"]


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"postmortem": PostmortemConfig}


@hookimpl
def chatops_commands() -> list[Any]:
    return COMMANDS


@hookimpl
def chatops_migration_locations() -> list[str]:
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def chatops_reports(app: Any) -> dict[str, Any]:
    return {"actions": report.actions_report}


@hookimpl
def chatops_delivery_kinds(app: Any) -> dict[str, Any]:
    return {export.KIND: export.Exporting()}


@hookimpl
def chatops_timer_handlers() -> dict[str, TimerHandler]:
    return {REMIND: remind, expected.DUE: expected.remind}


@hookimpl
async def chatops_event_recorded(tx: Tx, event: DomainEvent) -> None:
    if event.kind == "status_changed" and event.stream.startswith("incident:"):
        await expected.on_status_changed(tx, event)


async def remind(tx: Tx, timer: Timer) -> None:
    """An action item came due (or is still overdue): its owner hears of it, and again later."""
    app = tx.app
    assert app is not None
    query = select(action_items).where(action_items.c.id == timer.payload["item_id"])
    row = (await tx.execute(query)).first()
    if row is None or row.status != store.OPEN:
        return
    today = app.clock.now().astimezone(app.tz).date().isoformat()
    when = "today" if row.due == today else f"since {row.due}"
    text = (
        f"⏰ Action item AI-{row.id} (INC-{row.incident_id}) is due {when}: {row.text}\n"
        f"Done? !action done AI-{row.id} · No longer needed? !action drop AI-{row.id} <reason>"
    )
    owner = User(id=row.owner_id, name=row.owner_name)
    if owner.transport in app.transports:
        await tx.send_direct(owner, text)
    settings: PostmortemConfig = app.section("postmortem")
    every = max(1, parse_duration(settings.remind_every).days)
    next_day = app.clock.now().astimezone(app.tz).date() + timedelta(days=every)
    await app.scheduler.schedule(
        tx,
        kind=REMIND,
        key=timer.key,
        due_at=remind_at(app.tz, next_day, settings.remind_at),  # the same local time, DST or not
        payload=timer.payload,
    )
