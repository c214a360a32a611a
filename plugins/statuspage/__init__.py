"""Built-in plugin ``statuspage``: what customers read, kept apart from what engineers write.

The Comms Lead (or IC) drafts a public update, sees a preview, and
publishes it; only published rows reach the page (``/status``), the
Statuspage-shaped JSON (``/api/v2/…``) and the Atom feed.  Notes,
hypotheses and the timeline are never read by the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chatops import hookimpl
from chatops.events import DomainEvent
from chatops.scheduler import TimerHandler
from chatops_plugins.statuspage import cadence, delivery, maintenance, web
from chatops_plugins.statuspage.commands import COMMANDS
from chatops_plugins.statuspage.config import StatuspageConfig
from chatops_plugins.statuspage.export import ExportCommand
from chatops_plugins.statuspage.publishers import AtlassianStatuspage, SignedWebhook

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"statuspage": StatuspageConfig}


@hookimpl
def chatops_migration_locations() -> list[str]:
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def chatops_commands() -> list[Any]:
    return [*COMMANDS, *maintenance.COMMANDS]


@hookimpl
def chatops_web_routes(app: App) -> list[Any]:
    return web.routes()


@hookimpl
def chatops_statuspage_publishers(app: App) -> dict[str, Any]:
    """The external publishers the config names."""
    config: StatuspageConfig = app.section("statuspage")
    found: dict[str, Any] = {f"webhook:{hook.name}": SignedWebhook(hook) for hook in config.webhooks}
    if config.atlassian is not None:
        found["atlassian"] = AtlassianStatuspage(config.atlassian)
    return found


@hookimpl
def chatops_cli_commands() -> dict[str, Any]:
    return {"statuspage": ExportCommand()}


@hookimpl
def chatops_timer_handlers() -> dict[str, TimerHandler]:
    return {cadence.REMIND: cadence.remind, maintenance.STEP: maintenance.step}


@hookimpl
async def chatops_event_recorded(tx: Tx, event: DomainEvent) -> None:
    await cadence.observe(tx, event)


@hookimpl
def chatops_delivery_kinds(app: App) -> dict[str, Any]:
    return {delivery.KIND: delivery.Publishing()}
