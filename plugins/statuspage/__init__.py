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
from chatops_plugins.statuspage import web
from chatops_plugins.statuspage.commands import COMMANDS
from chatops_plugins.statuspage.config import StatuspageConfig

if TYPE_CHECKING:
    from chatops.app import App


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"statuspage": StatuspageConfig}


@hookimpl
def chatops_migration_locations() -> list[str]:
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def chatops_commands() -> list[Any]:
    return COMMANDS


@hookimpl
def chatops_web_routes(app: App) -> list[Any]:
    return web.routes()
