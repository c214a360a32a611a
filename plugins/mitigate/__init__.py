"""Built-in plugin ``mitigate``: pre-baked mitigations, one confirmed command away.

Plugins offer mitigations through ``chatops_mitigations`` (see ``api``);
this plugin offers the webhooks and commands allowlisted under
``mitigations:`` and runs any of them with ``!mitigate``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from chatops import Command, hookimpl
from chatops.app import App
from chatops_plugins.mitigate import actions, commands
from chatops_plugins.mitigate.api import Mitigation, MitigationFailed, MitigationRequest, Param
from chatops_plugins.mitigate.config import MitigationsConfig

__all__ = ["Mitigation", "MitigationFailed", "MitigationRequest", "Param"]


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"mitigations": MitigationsConfig}


@hookimpl
def chatops_migration_locations() -> list[str]:
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def chatops_commands() -> list[Command]:
    return commands.COMMANDS


@hookimpl
def chatops_mitigations(app: App) -> list[Mitigation]:
    return actions.from_config(app.section("mitigations"))


@hookimpl
async def chatops_serving(app: App) -> None:
    await app.db.write(lambda tx: commands.interrupted(tx, app))
