"""Chat commands: ``!alerts``, ``!alert ack|resolve|declare``, ``!silence``, ``!silences``, ``!unsilence``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chatops import Arg, CommandContext, CommandGroup, Option, Permission, UserError
from chatops import events as event_log
from chatops.clock import format_duration, parse_duration
from chatops.commands.declare import Command
from chatops.storage.db import Tx
from chatops.timefmt import local_time
from chatops_plugins.alerts import actions, render, silences
from chatops_plugins.alerts.events import SilenceCreated, SilenceExpired
from chatops_plugins.alerts.intake import OPEN, settings
from chatops_plugins.alerts.routing import Matcher, parse_matcher
from chatops_plugins.incident import api as incidents
from chatops_plugins.incident import lookup, rooms
from chatops_plugins.incident import store as incident_store
from chatops_plugins.incident.config import IncidentConfig
from chatops_plugins.oncall import paging, people

RESPONDER = "responder"  # anyone the on-call config knows
HANDLE = Permission("alerts.handle", (RESPONDER, "admin"), "acknowledge and resolve alert groups")
SILENCE = Permission("alerts.silence", (RESPONDER, "admin"), "silence alerts")
DECLARE = Permission("incident.declare", ("anyone",), "declare incidents")

alert = CommandGroup("alert", help="act on an alert group (A-3)")


def group_id(raw: str, ctx: CommandContext) -> int:
    text = raw.strip().upper().removeprefix("A-")
    if not text.isdigit() or len(text) > 9:
        raise ValueError(f"{raw!r} is not an alert group (use A-3 or 3)")
    return int(text)


async def _person(ctx: CommandContext) -> str:
    async with ctx.app.db.read() as conn:
        return await people.person_of(ctx.app, conn, ctx.sender.id) or ctx.sender.name


async def _open_group(tx: Tx, group: int) -> dict[str, Any]:
    found = await actions.get(tx, group)
    if found is None:
        raise UserError(f"There is no alert group A-{group}. Open ones: !alerts")
    if found["status"] not in OPEN:
        raise UserError(f"A-{group} is already resolved.")
    return found


async def list_alerts(ctx: CommandContext) -> None:
    async with ctx.app.db.read() as conn:
        found = await actions.open_groups(conn)
    if not found:
        await ctx.reply("No alert groups are open.")
        return
    lines = [f"{len(found)} open alert group(s):"]
    for group in found:
        state = "🔥" if group["status"] == "firing" else "〰️"
        since = local_time(group["started_at"], ctx.tz, ctx.now)
        extra = f" · acked by @{group['acked_by']}" if group["acked_by"] else ""
        lines.append(f"  {state} {render.headline(group)} — {group['firing']} firing since {since}{extra}")
    await ctx.reply("\n".join(lines))


@alert.command(
    "ack",
    Arg("group", group_id, metavar="A-3"),
    help="acknowledge an alert group (stops its page)",
    example="!alert ack A-3",
    permission=HANDLE,
)
async def ack(ctx: CommandContext, group: int) -> None:
    person = await _person(ctx)

    async def write(tx: Tx) -> paging.Page | None:
        found = await _open_group(tx, group)
        if found["acked_by"]:
            when = local_time(found["acked_at"], ctx.tz, ctx.now)
            raise UserError(f"A-{group} was already acknowledged by @{found['acked_by']} at {when}.")
        return await actions.acknowledge(tx, found, person, ctx.sender)

    page = await ctx.app.db.write(write)
    await ctx.reply(f"Acknowledged A-{group}" + (f" and its page {page.ref}." if page else "."))
    if page is not None:
        await paging.show_acknowledged(ctx.app, page)


@alert.command(
    "resolve",
    Arg("group", group_id, metavar="A-3"),
    help="resolve an alert group by hand (its page stops)",
    example="!alert resolve A-3",
    permission=HANDLE,
)
async def resolve(ctx: CommandContext, group: int) -> None:
    person = await _person(ctx)

    async def write(tx: Tx) -> int:
        found = await _open_group(tx, group)
        await actions.close(tx, found, by=person)
        return int(found["firing"])

    firing = await ctx.app.db.write(write)
    answer = f"Resolved A-{group}."
    if firing:
        answer += (
            f" {firing} of its alerts still fire at the source: when it repeats them, a new group opens "
            "and pages. Silence them (!silence …) until the cause is fixed."
        )
    else:
        answer += " If its alerts fire again, a new group opens."
    await ctx.reply(answer)


@alert.command(
    "declare",
    Arg("group", group_id, metavar="A-3"),
    Option("--sev", lookup.severity, metavar="LEVEL", help="the incident's severity (default: the alert's)"),
    help="declare an incident from an alert group (impact began when its first alert did)",
    example="!alert declare A-3",
    permission=DECLARE,
)
async def declare(ctx: CommandContext, group: int, sev: int | None) -> None:
    scale = lookup.scale_of(ctx.app)
    settings_: IncidentConfig = ctx.app.section("incident")

    async def write(tx: Tx) -> tuple[dict[str, Any], Any]:
        found = await _open_group(tx, group)
        if found["incident_id"]:
            raise UserError(f"A-{group} already belongs to INC-{found['incident_id']}.")
        incident = await incidents.declare(
            tx,
            ctx.app,
            title=found["title"],
            severity=sev or found["severity"],
            severity_confirmed=True,
            declarer=ctx.sender,
            origin_room_id=ctx.room.id,
            started_at=found["started_at"],
            detected_at=found["detected_at"],
            services=[found["service"]] if found["service"] else [],
            paged=await _still_paging(tx, found, sev),
        )
        await actions.link(tx, found, incident.id, ctx.sender)
        return found, incident

    found, incident = await ctx.app.db.write(write)
    incident = await rooms.open_room(ctx, incident, settings_.declarer_is_ic)
    began = local_time(found["started_at"], ctx.tz, ctx.now)
    detected = local_time(found["detected_at"], ctx.tz, ctx.now)
    room = f"Room: {incident.room_name}" if incident.room_id else f"Room: not created; use --id {incident.id}"
    await ctx.reply(
        f'{incident.ref} declared from A-{group} · {scale.label(incident.severity)} · "{incident.title}"\n'
        f"Impact began {began} (first alert); detected {detected} (first notification).\n{room}"
    )


async def _still_paging(tx: Tx, group: dict[str, Any], sev: int | None) -> bool:
    """Whether the group's page already covers the incident (else its severity's policy pages)."""
    page = await paging.get(tx, group["page_id"]) if group["page_id"] else None
    covering = page is not None and page.state in (paging.WAITING, paging.OPEN, paging.ACKNOWLEDGED)
    return covering and (sev is None or sev >= group["severity"])  # a graver --sev pages by its own policy


def _silence_spec(words: list[str]) -> tuple[list[Matcher], timedelta, str]:
    """``alertname=DiskFull instance=db1 2h disk replaced`` -> matchers, duration, reason."""
    matchers: list[Matcher] = []
    rest = list(words)
    while rest and "=" in rest[0]:  # every matcher operator has one
        try:
            matchers.append(parse_matcher(rest.pop(0)))
        except ValueError as exc:
            raise UserError(str(exc)) from None
    usage = (
        "Use: !silence <matcher>… <duration> <reason>, e.g. !silence alertname=DiskFull 2h replacing the disk"
    )
    if not matchers:
        raise UserError(f"A silence needs at least one matcher. {usage}")
    if not rest:
        raise UserError(f"How long? {usage}")
    try:
        length = parse_duration(rest.pop(0))
    except ValueError as exc:
        raise UserError(f"{exc}. {usage}") from None
    if length > timedelta(days=30):
        raise UserError("Silences last at most 30 days; fix or reroute the alert instead.")
    if not rest:
        raise UserError(f"Say why (it is recorded). {usage}")
    return matchers, length, " ".join(rest)


async def _stream(ctx: CommandContext) -> str:
    async with ctx.app.db.read() as conn:
        incident = await incident_store.at(conn, ctx.place, ctx.app.bridges.rooms(ctx.room.id))
    return f"incident:{incident.id}" if incident else "alerts:silences"


async def silence(ctx: CommandContext, spec: str) -> None:
    matchers, length, reason = _silence_spec(spec.split())
    now = ctx.now
    api = settings(ctx.app).alertmanager
    try:
        silence_id = await silences.create(api, matchers, now, now + length, ctx.sender.name, reason)
    except silences.SilenceError as exc:
        raise UserError(str(exc)) from None
    shown = " ".join(str(m) for m in matchers)
    until = local_time(now + length, ctx.tz, now)
    text = f"Silenced {shown} until {until} ({reason}); id {silence_id[:8]}"
    stream = await _stream(ctx)

    async def write(tx: Tx) -> None:
        event = SilenceCreated(stream=stream, at=now, actor=ctx.sender.id, silence_id=silence_id, text=text)
        await event_log.record(tx, event)

    await ctx.app.db.write(write)
    await ctx.reply(f"{text}. Lift it early: !unsilence {silence_id[:8]}")


async def list_silences(ctx: CommandContext) -> None:
    try:
        found = await silences.listing(settings(ctx.app).alertmanager)
    except silences.SilenceError as exc:
        raise UserError(str(exc)) from None
    active = [s for s in found if s.state in ("active", "pending")]
    if not active:
        await ctx.reply("No active silences.")
        return
    lines = [f"{len(active)} silence(s):"]
    for item in sorted(active, key=lambda s: s.ends_at):
        left = format_duration(item.ends_at - ctx.now) if item.ends_at > ctx.now else "0s"
        lines.append(
            f"  {item.id[:8]} {' '.join(item.matchers)} — {left} left, by {item.created_by}: {item.comment}"
        )
    await ctx.reply("\n".join(lines))


async def unsilence(ctx: CommandContext, silence_id: str) -> None:
    api = settings(ctx.app).alertmanager
    try:
        found = [
            s for s in await silences.listing(api) if s.id.startswith(silence_id) and s.state != "expired"
        ]
        if not found:
            raise UserError(f"No active silence {silence_id!r}. See them: !silences")
        if len(found) > 1:
            raise UserError(f"{silence_id!r} matches {len(found)} silences; give more of the id.")
        await silences.expire(api, found[0].id)
    except silences.SilenceError as exc:
        raise UserError(str(exc)) from None
    text = f"Lifted silence {found[0].id[:8]} ({' '.join(found[0].matchers)})"
    stream = await _stream(ctx)

    async def write(tx: Tx) -> None:
        event = SilenceExpired(
            stream=stream, at=ctx.now, actor=ctx.sender.id, silence_id=found[0].id, text=text
        )
        await event_log.record(tx, event)

    await ctx.app.db.write(write)
    await ctx.reply(text + ".")


COMMANDS: list[Any] = [
    alert,
    Command("alerts", list_alerts, help="the open alert groups", example="!alerts"),
    Command(
        "silence",
        silence,
        args=(Arg("spec", greedy=True, metavar="MATCHER… DURATION REASON"),),
        help="silence alerts in Alertmanager for a while (recorded in the timeline)",
        example="!silence alertname=DiskFull instance=db1:9100 2h replacing the disk",
        permission=SILENCE,
    ),
    Command("silences", list_silences, help="the active silences", example="!silences"),
    Command(
        "unsilence",
        unsilence,
        args=(Arg("silence_id", metavar="ID"),),
        help="lift a silence early",
        example="!unsilence 3f2a9c1e",
        permission=SILENCE,
    ),
]
