"""Built-in plugin ``alerts``: Alertmanager, Grafana and generic webhooks -> alert groups -> pages.

Receivers (``receiver``) authenticate and store each notification before
answering; ``intake`` folds alerts into deduplicated groups; ``actions``
pages, declares, holds flapping groups and keeps each group's one message
current; ``silences`` talks to Alertmanager's API.  Paging goes through the
on-call plugin and declaring through the incident plugin, by their APIs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chatops import hookimpl
from chatops.events import DomainEvent
from chatops.scheduler import TimerHandler
from chatops_plugins.alerts import actions, receiver
from chatops_plugins.alerts.commands import COMMANDS
from chatops_plugins.alerts.config import AlertsConfig

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"alerts": AlertsConfig}


@hookimpl
def chatops_migration_locations() -> list[str]:
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def chatops_commands() -> list[Any]:
    return COMMANDS


@hookimpl
def chatops_timer_handlers() -> dict[str, TimerHandler]:
    return {actions.RESOLVE_TIMER: actions.resolve_after_hold}


@hookimpl
def chatops_web_routes(app: App) -> list[Any]:
    return receiver.routes()


@hookimpl
async def chatops_event_recorded(tx: Tx, event: DomainEvent) -> None:
    """A page that escalates, runs out or is acknowledged anywhere (``!ack``, its button)
    shows in the message of the alert group it pages for."""
    if event.kind in ("paged", "page_acknowledged", "page_exhausted"):
        await actions.page_changed(tx, int(event.data()["page_id"]))


@hookimpl
def chatops_startup(app: App) -> None:
    """A group's first message may wait in the outbox while the group changes: once it is
    sent, the latest state is edited in."""
    refresher = actions.refresher_of(app)

    async def sent(tag: str) -> None:
        await refresher.show({int(tag.removeprefix(actions.TAG_PREFIX))})

    app.outbound.when_sent(actions.TAG_PREFIX, sent)
    actions.check_policies(app)


@hookimpl
async def chatops_shutdown(app: App) -> None:
    await actions.intake_of(app).idle()
    await actions.refresher_of(app).idle()
