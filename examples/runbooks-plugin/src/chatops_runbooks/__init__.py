"""An organisation's own plugin: runbook links in chat.

- ``!runbook <service>`` answers with the service's runbook.
- When an incident is declared with ``--service``, its room gets the runbooks.

It uses only chatops' public API: a command group, its own config section,
and a domain-event observer.  Install it next to chatops (``pip install -e
examples/runbooks-plugin``) and it loads through the ``chatops.plugins`` entry
point like the built-ins do.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from chatops import Arg, CommandContext, CommandGroup, UserError, hookimpl
from chatops import events as event_log
from chatops.events import DomainEvent


class RunbooksConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    links: dict[str, str] = {}


runbook = CommandGroup("runbook", help="runbooks for services")


@runbook.command(
    "show", Arg("service"), help="the runbook for a service", example="!runbook show checkout-api"
)
async def show(ctx: CommandContext, service: str) -> None:
    links: dict[str, str] = ctx.app.section("runbooks").links
    if service not in links:
        known = ", ".join(sorted(links)) or "none configured"
        raise UserError(f"No runbook for {service!r}. Known: {known}.")
    await ctx.reply(f"Runbook for {service}: {links[service]}")


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"runbooks": RunbooksConfig}


@hookimpl
def chatops_commands() -> list[CommandGroup]:
    return [runbook]


@hookimpl
async def chatops_event_committed(app: Any, event: DomainEvent) -> None:
    if event.kind != "room_created":
        return
    data = event.data()
    async with app.db.read() as conn:
        declared = await event_log.stream(conn, event.stream, ("incident_declared",))
    services = declared[0].data().get("services", []) if declared else []
    links: dict[str, str] = app.section("runbooks").links
    lines = [f"{s}: {links[s]}" for s in services if s in links]
    if lines:
        await app.outbound.send(data["room_id"], "Runbooks:\n" + "\n".join(lines))
