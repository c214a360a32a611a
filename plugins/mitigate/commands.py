"""``!mitigate``: list what applies, ask, confirm, run within a time limit, record.

A request is stored before it is confirmed, and a run is marked running (and
put in the timeline) before it acts, so the audit record never misses a run
and a second press of Confirm, a replay or a restart never runs it twice.
A run outlives its command: it goes to ``app.background`` and answers when done.
"""

from __future__ import annotations

import asyncio
import logging
import time
from weakref import WeakKeyDictionary

from chatops import Arg, Command, CommandContext, User, UserError
from chatops import events as event_log
from chatops.app import App
from chatops.models.content import Button, Buttons, Content, Text
from chatops.storage.db import Tx
from chatops_plugins.incident import lookup
from chatops_plugins.incident.commands import ID
from chatops_plugins.incident.domain import Incident
from chatops_plugins.incident.events import stream_of
from chatops_plugins.mitigate import store
from chatops_plugins.mitigate.api import RESERVED, Mitigation, MitigationFailed, MitigationRequest
from chatops_plugins.mitigate.config import MitigationsConfig
from chatops_plugins.mitigate.events import MitigationFinished, MitigationStarted

log = logging.getLogger("chatops.mitigate")


_offered: WeakKeyDictionary[App, dict[str, Mitigation]] = WeakKeyDictionary()


def offered(app: App) -> dict[str, Mitigation]:
    """Every mitigation the plugins offer, by name; the first plugin to offer a name keeps it.

    Asked once per app: what plugins offer follows from their code and config,
    and a plugin that fails to answer is reported once, not at every command.
    """
    found = _offered.get(app)
    if found is None:
        found = _offered[app] = _collect(app)
    return found


def _collect(app: App) -> dict[str, Mitigation]:
    found: dict[str, Mitigation] = {}
    for plugin, items in app.hooks.call_sync("chatops_mitigations", app=app):
        for item in items:
            if item.name in RESERVED or item.name in found:
                log.warning("plugin %s offers mitigation %r, which is taken; ignored", plugin, item.name)
                continue
            found[item.name] = item
    return found


def _run_ref(raw: str, ctx: CommandContext) -> int:
    digits = raw.upper().removeprefix("M-")
    if not digits.isdigit():
        raise ValueError(f"{raw!r} is not a mitigation run (e.g. M-4)")
    return int(digits)


async def mitigate(ctx: CommandContext, name: str | None, rest: list[str], id: int | None) -> None:
    incident = await lookup.find(ctx)
    if name is None:
        await ctx.reply(_listing(offered(ctx.app), incident))
        return
    if name in RESERVED:
        what = {"confirm": _confirm, "cancel": _cancel, "history": _history}[name]
        await what(ctx, incident, rest[0] if rest else None)
        return
    mitigation = _named(ctx.app, name, incident)
    try:
        args = mitigation.bind(rest)
    except ValueError as exc:
        raise UserError(f"{exc}.\nUsage: {mitigation.usage()}") from None
    await ctx.require(mitigation.permission)
    if incident.drill:
        raise UserError(
            f"🧪 {incident.ref} is a drill: {name} would act on real systems, so it does not run. "
            f'Say what you would do (!incident note "would run {name}") and go on as if it had.'
        )

    async def ask(tx: Tx) -> store.Run:
        return await store.create(
            tx,
            incident_id=incident.id,
            room_id=ctx.place,
            action=name,
            args=args,
            requested_by=ctx.sender.id,
            requested_at=ctx.now,
        )

    run = await ctx.app.db.write(ask)
    window = ctx.app.section("mitigations").confirm_within
    await ctx.reply(
        Content(
            (
                Text((f"Run {run.described()} for {incident.ref}? ({run.ref}; confirm within {window})",)),
                Buttons(
                    (
                        Button(
                            "Confirm", f"mitigate.confirm:{run.id}", f"!mitigate confirm {run.ref}", "danger"
                        ),
                        Button("Cancel", f"mitigate.cancel:{run.id}", f"!mitigate cancel {run.ref}"),
                    )
                ),
            )
        )
    )


def _named(app: App, name: str, incident: Incident) -> Mitigation:
    known = offered(app)
    mitigation = known.get(name)
    if mitigation is None:
        names = ", ".join(sorted(known)) or "none are configured (see mitigations: in the config)"
        raise UserError(f"No mitigation {name!r}. Mitigations: {names}.")
    if not mitigation.applies_to(incident.services):
        raise UserError(
            f"{name} is for incidents on {', '.join(mitigation.services)}; {incident.ref} is on "
            f"{', '.join(incident.services) or 'no service'} (add one: !incident service <name>)."
        )
    return mitigation


def _listing(known: dict[str, Mitigation], incident: Incident) -> str:
    usable = [m for m in known.values() if m.applies_to(incident.services)]
    if not usable:
        return f"No mitigation applies to {incident.ref}. Plugins and the mitigations: config offer them."
    lines = [f"Mitigations for {incident.ref} (mitigate first, diagnose after):"]
    lines += [f"• {m.usage()} — {m.help} (within {m.timeout_s:g}s)" for m in usable]
    lines.append("Each asks for confirmation before it runs.")
    return "\n".join(lines)


async def _pending_run(ctx: CommandContext, incident: Incident, raw: str | None) -> store.Run:
    if not raw:
        raise UserError("Name the run, e.g. !mitigate confirm M-4.")
    try:
        run_id = _run_ref(raw.strip(), ctx)
    except ValueError as exc:
        raise UserError(f"{exc}.") from None
    async with ctx.app.db.read() as conn:
        run = await store.get(conn, run_id)
    if run is None or run.incident_id != incident.id:
        raise UserError(f"{incident.ref} has no mitigation run M-{run_id} (see !mitigate history).")
    if run.status != store.PENDING:
        raise UserError(f"{run.ref} is {run.status.replace('_', ' ')}, not waiting for confirmation.")
    return run


async def _confirm(ctx: CommandContext, incident: Incident, raw: str | None) -> None:
    run = await _pending_run(ctx, incident, raw)
    mitigation = _named(ctx.app, run.action, incident)
    await ctx.require(mitigation.permission)
    settings: MitigationsConfig = ctx.app.section("mitigations")
    cutoff = ctx.now - settings.confirm_window

    async def start(tx: Tx) -> bool:
        if not await store.start(tx, run.id, ctx.sender.id, ctx.now, cutoff):
            return False
        await event_log.record(
            tx,
            MitigationStarted(
                stream=stream_of(incident.id),
                at=ctx.now,
                actor=ctx.sender.id,
                run_id=run.id,
                action=run.action,
                args=run.args,
                requested_by=run.requested_by,
                text=f"{run.ref} {run.described()}",
            ),
        )
        return True

    if ctx.app.background.closing:
        raise UserError(f"chatops is restarting; confirm again in a minute: !mitigate confirm {run.ref}")
    if not await ctx.app.db.write(start):
        async with ctx.app.db.read() as conn:
            now = await store.get(conn, run.id)
        if now is not None and now.status != store.PENDING:
            by = f" by @{now.confirmed_by.split(':', 1)[-1]}" if now.confirmed_by else ""
            raise UserError(f"{run.ref} is already {now.status.replace('_', ' ')}{by}; it runs once.")
        raise UserError(f"{run.ref} was not confirmed within {settings.confirm_within}; ask again.")
    await ctx.reply(f"Running {run.described()} ({run.ref}, at most {mitigation.timeout_s:g}s)…")
    request = MitigationRequest(
        app=ctx.app,
        run_id=run.id,
        incident_id=incident.id,
        incident_ref=incident.ref,
        services=incident.services,
        args=run.args,
        requested_by=User(id=run.requested_by, name=run.requested_by.split(":", 1)[-1]),
        confirmed_by=ctx.sender,
    )
    ctx.app.background.start(execute(mitigation, request, run, ctx), name=f"mitigation-{run.id}")


async def execute(
    mitigation: Mitigation, request: MitigationRequest, run: store.Run, ctx: CommandContext
) -> None:
    """Run it within its time limit; whatever happens, the outcome is stored and told."""
    began = time.monotonic()
    try:
        async with asyncio.timeout(mitigation.timeout_s):
            outcome, result = "succeeded", await mitigation.run(request)
    except TimeoutError:
        outcome, result = "timed_out", f"stopped after {mitigation.timeout_s:g}s; check what it changed"
    except MitigationFailed as exc:
        outcome, result = "failed", str(exc) or "failed"
    except Exception as exc:  # a plugin's bug: reported in the room, logged with its traceback
        log.exception("mitigation %s (%s) raised", run.action, run.ref)
        outcome, result = "failed", f"the mitigation raised {type(exc).__name__} (logged)"
    took = time.monotonic() - began
    await ctx.app.db.write(lambda tx: _finish(tx, ctx.app, run, request.incident_id, outcome, result))
    verb = {"succeeded": "succeeded", "failed": "FAILED", "timed_out": "TIMED OUT"}[outcome]
    follow = " If the impact has stopped: !incident mitigated" if outcome == "succeeded" else ""
    await ctx.reply(f"{run.ref} {run.described()} {verb} in {took:.1f}s: {result}.{follow}")


async def _finish(tx: Tx, app: App, run: store.Run, incident_id: int, outcome: str, result: str) -> None:
    now = app.clock.now()
    if await store.finish(tx, run.id, outcome, result, now):
        await event_log.record(
            tx,
            MitigationFinished(
                stream=stream_of(incident_id),
                at=now,
                actor="chatops",
                run_id=run.id,
                action=run.action,
                outcome=outcome,
                text=f"{run.ref} {run.action} {outcome.replace('_', ' ')}: {result}",
            ),
        )


async def interrupted(tx: Tx, app: App) -> None:
    """Runs a stopped process left running: their outcome is unknown, and they are never re-run."""
    for run in await store.running(tx):
        result = "chatops stopped while it ran; its outcome is unknown — check before running it again"
        await _finish(tx, app, run, run.incident_id, "interrupted", result)
        await tx.send(run.room_id, f"{run.ref} {run.described()} was interrupted: {result}.")


async def _cancel(ctx: CommandContext, incident: Incident, raw: str | None) -> None:
    run = await _pending_run(ctx, incident, raw)
    if run.requested_by != ctx.sender.id:  # who asked may change their mind; others need the permission
        await ctx.require(_named(ctx.app, run.action, incident).permission)
    if not await ctx.app.db.write(lambda tx: store.cancel(tx, run.id)):
        raise UserError(f"{run.ref} is no longer waiting for confirmation.")
    await ctx.reply(f"{run.ref} {run.described()} cancelled; nothing ran.")


async def _history(ctx: CommandContext, incident: Incident, raw: str | None) -> None:
    async with ctx.app.db.read() as conn:
        runs = await store.of_incident(conn, incident.id)
    if not runs:
        await ctx.reply(f"No mitigation has been asked for in {incident.ref}.")
        return
    lines = [f"Mitigations in {incident.ref}:"]
    for run in runs:
        who = "@" + run.requested_by.split(":", 1)[-1]
        if run.confirmed_by:
            who += ", confirmed by @" + run.confirmed_by.split(":", 1)[-1]
        line = f"{run.ref} {run.described()} — {run.status.replace('_', ' ')} ({who})"
        lines.append(line + (f": {run.result}" if run.result else ""))
    await ctx.reply("\n".join(lines))


COMMANDS = [
    Command(
        "mitigate",
        mitigate,
        args=(
            Arg("name", required=False, metavar="mitigation"),
            Arg("rest", required=False, greedy=True, words=True, metavar="args"),
        ),
        options=(ID,),
        help="pre-baked mitigations: list them, or run one (confirm M-n, cancel M-n, history)",
        example="!mitigate rollback checkout-api",
    )
]
