"""A feature-flag kill switch: ``!flag off|on <flag>`` asks; its Confirm button (``… --confirm``) sets it
in the flag service (``PUT {url}/flags/<flag>``), noted on an incident's timeline; ``!flag status`` reads."""

from __future__ import annotations

import re

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from chatops import Arg, CommandContext, CommandGroup, Option, Permission, UserError, hookimpl
from chatops.events import record
from chatops.models.content import Button, Buttons, Content
from chatops_plugins.incident import store
from chatops_plugins.incident.events import IncidentEvent


class FlagsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = ""
    token: SecretStr = SecretStr("")
    timeout_s: float = Field(5.0, gt=0)  # keep it under the core hook_timeout_s (10 s)


class FlagSwitched(IncidentEvent):
    kind = "flag_switched"
    flag: str
    enabled: bool


def flag_name(raw: str, ctx: CommandContext) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,63}", raw):
        raise ValueError(f"{raw!r} is not a valid name (use a-z, 0-9, '.', '_', '-')")
    return raw


async def call(ctx: CommandContext, flag: str, enabled: bool | None, doing: str, retry: str) -> bool:
    """GET (``enabled`` None) or PUT the flag; a failure is a one-line answer that names the retry."""
    cfg: FlagsConfig = ctx.app.section("flags")
    if not cfg.url:
        raise UserError("The flag service is not configured: set flags.url and flags.token in chatops.yaml.")
    auth = {"Authorization": f"Bearer {cfg.token.get_secret_value()}"}
    body = None if enabled is None else {"enabled": enabled}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=cfg.timeout_s)) as http:
            url = f"{cfg.url.rstrip('/')}/flags/{flag}"
            async with http.request("GET" if body is None else "PUT", url, json=body, headers=auth) as r:
                if r.status == 404:
                    raise UserError(f"Unknown flag {flag!r}: the flag service has no such flag.")
                problem = f"the flag service answered HTTP {r.status}"
                if r.status < 300:
                    return bool((await r.json())["enabled"])
    except TimeoutError:
        problem = f"the flag service did not answer within {cfg.timeout_s:g} s (its state is unknown)"
    except (aiohttp.ClientError, ValueError, KeyError, TypeError):
        problem = "the flag service could not be reached or gave no usable answer"
    raise UserError(f"Couldn't {doing}: {problem}. Check it, then retry: {retry}")


flags = CommandGroup("flag", help="feature flags: a kill switch that asks before it acts")
FLAG, CONFIRM = Arg("flag", flag_name, help="the flag's name"), Option("--confirm", is_flag=True)
CHANGE = Permission("flags.change", ("anyone",), "turn feature flags on or off")


async def switch(ctx: CommandContext, flag: str, confirm: bool) -> None:
    state = ctx.command.name  # "off" or "on": one handler serves both commands
    command = f"!flag {state} {flag} --confirm"
    if not confirm:
        button = Button("Confirm", f"flags.{state}:{flag}", command, "danger")
        await ctx.reply(Content.of(f"Turn {state} flag {flag} for all users now?", Buttons((button,))))
        return
    await call(ctx, flag, state == "on", f"turn {state} {flag}", command)
    async with ctx.app.db.read() as conn:
        incident = await store.by_room(conn, ctx.room.id)
    if incident is not None:
        fact = {"flag": flag, "enabled": state == "on", "text": f"{flag} {state}"}
        event = FlagSwitched.of(incident.id, ctx.now, ctx.sender.id, **fact)
        await ctx.app.db.write(lambda tx: record(tx, event))
    await ctx.reply(f"Flag {flag} is {state}" + (f" (on {incident.ref}'s timeline)." if incident else "."))


for state in ("off", "on"):
    flags.command(
        state, FLAG, CONFIRM, help=f"turn a flag {state}", example=f"!flag {state} new-ui", permission=CHANGE
    )(switch)


@flags.command("status", FLAG, help="is a flag on or off", example="!flag status new-ui")
async def status(ctx: CommandContext, flag: str) -> None:
    enabled = await call(ctx, flag, None, f"read {flag}", f"!flag status {flag}")
    await ctx.reply(f"Flag {flag} is {'on' if enabled else 'off'}.")


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"flags": FlagsConfig}


@hookimpl
def chatops_commands() -> list[CommandGroup]:
    return [flags]
