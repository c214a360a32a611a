"""``!incident`` commands for the lifecycle: declare, progress, resolve, reopen, and the record."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from chatops import Arg, CommandContext, CommandGroup, Option, Permission, UserError
from chatops.clock import format_duration, parse_instant
from chatops.models.content import Form, FormField
from chatops.storage.db import Tx
from chatops.timefmt import local_time, relative
from chatops_plugins.incident import api, bridging, links, lookup, rooms, store
from chatops_plugins.incident.config import IncidentConfig
from chatops_plugins.incident.domain import (
    EarlyResolve,
    Incident,
    Refused,
    Status,
    advance,
    monitoring_until,
    next_update_due,
    reopen,
)
from chatops_plugins.incident.events import (
    HypothesisSet,
    IncidentEvent,
    NoteAdded,
    ServiceAdded,
    StatusChanged,
    TagAdded,
)
from chatops_plugins.incident.render import UPDATE_SHAPE, drill_prefix, status_text
from chatops_plugins.incident.rooms import announce

log = logging.getLogger("chatops.incident")

incident = CommandGroup("incident", help="declare and run incidents")

DECLARE = Permission("incident.declare", ("anyone",), "declare incidents")
RECORD = Permission("incident.record", ("anyone",), "add notes, hypotheses, tags and services")
UPDATE = Permission("incident.update", ("ic", "tech-lead", "admin"), "post updates")
PROGRESS = Permission(
    "incident.progress", ("ic", "tech-lead", "admin"), "mark an incident identified or mitigated"
)
RESOLVE = Permission("incident.resolve", ("ic", "admin"), "resolve, force-resolve or reopen an incident")

ID = Option("--id", lookup.incident_id, help="the incident (42 or INC-42); implied in its room", metavar="N")


def label(raw: str, ctx: CommandContext) -> str:
    """A tag or a service name: 1 to 64 characters."""
    return api.clean_label(raw)


def instant(raw: str, ctx: CommandContext) -> datetime:
    return parse_instant(raw, ctx.now, ctx.tz)


def config(ctx: CommandContext) -> IncidentConfig:
    section: IncidentConfig = ctx.app.section("incident")
    return section


@incident.command(
    "declare",
    Arg("title", greedy=True, help="what is wrong, as users see it"),
    Option("--sev", lookup.severity, help="severity (default: the configured default)", metavar="LEVEL"),
    Option("--started", instant, help="when impact began (14:02, ISO 8601, or '20m ago')", metavar="TIME"),
    Option("--private", is_flag=True, help="invite-only room; listed only to participants"),
    Option("--near-miss", is_flag=True, help="caught before users were affected"),
    Option("--tag", label, multiple=True, metavar="TAG"),
    Option("--service", label, multiple=True, metavar="SERVICE"),
    Option(
        "--also",
        bridging.platforms,
        help="open its room on these platforms too, bridged (e.g. slack,discord)",
        metavar="PLATFORMS",
    ),
    help="declare an incident and open its room",
    example='!incident declare "Checkout API errors" --sev 2',
    permission=DECLARE,
    form=Form(
        title="Declare an incident",
        command="incident declare",
        fields=(
            FormField(name="title", label="What is wrong?"),
            FormField(name="sev", label="Severity", required=False),
        ),
    ),
)
async def declare(
    ctx: CommandContext,
    title: str,
    sev: int | None,
    started: datetime | None,
    private: bool,
    near_miss: bool,
    tag: list[str],
    service: list[str],
    also: list[str] | None,
) -> None:
    settings = config(ctx)
    scale = lookup.scale_of(ctx.app)
    try:
        api.check_title(ctx.app, title)
    except Refused as refused:
        raise UserError(str(refused)) from None
    if also:  # refused before anything is made: a half-bridged incident helps nobody
        reason = await bridging.refusal(ctx.app, ctx.room.id, also)
        if reason is not None:
            raise UserError(reason)
    now = ctx.now
    if started is not None and started > now:
        raise UserError(
            f"--started {local_time(started, ctx.tz, now)} is in the future; use when impact began."
        )
    severity = sev if sev is not None else scale.default
    sender = ctx.sender

    async def write(tx: Tx) -> Incident:
        return await api.declare(
            tx,
            ctx.app,
            title=title,
            severity=severity,
            severity_confirmed=sev is not None,
            declarer=sender,
            origin_room_id=ctx.room.id,
            started_at=started,
            private=private,
            near_miss=near_miss,
            tags=tag,
            services=service,
        )

    inc = await ctx.app.db.write(write)
    inc = await rooms.open_room(ctx, inc, settings.declarer_is_ic, own_room=bool(also))
    bridged = await bridging.bridge(ctx.app, inc, also or [], ctx.sender)
    bridged += await bridging.apply_rules(ctx.app, inc, ctx.sender)
    lines = [f'{drill_prefix(inc)}{inc.ref} declared · {scale.label(inc.severity)} · "{inc.title}"']
    roles_line = await ctx.app.hooks.call("chatops_incident_status_lines", app=ctx.app, incident=inc)
    lines.extend(line for part in roles_line for line in part)
    lines.append(rooms.place_line(ctx.app, inc))
    lines.extend(bridged)
    due = next_update_due(inc, scale)
    hint = f"Assign roles: !incident role tech-lead @name --id {inc.id}"
    if due is not None:
        lines.append(f"Next update due {local_time(due, ctx.tz, now)} ({relative(due, now)}). {hint}")
    else:
        lines.append(hint)
    if sev is None:
        lines.append(
            f"Severity defaulted to {scale.label(severity)} — confirm or change it: "
            f"!incident sev <{scale.range_hint()}> --id {inc.id}"
        )
    await ctx.reply("\n".join(lines))


BRIDGE = Permission("incident.bridge", ("ic", "admin"), "open an incident's room on another platform")


@incident.command(
    "bridge",
    Arg("platforms", bridging.platforms, help="where else to open the room (e.g. slack or slack,discord)"),
    ID,
    help="open the incident's room on other platforms too, bridged with this one",
    example="!incident bridge discord",
    permission=BRIDGE,
)
async def bridge(ctx: CommandContext, platforms: list[str], id: int | None) -> None:
    inc = await lookup.find(ctx)
    if inc.room_id is not None:
        reason = await bridging.refusal(ctx.app, inc.room_id, platforms)
        if reason is not None:
            raise UserError(reason)
    problems = await bridging.bridge(ctx.app, inc, platforms, ctx.sender)
    if problems:
        await ctx.reply("\n".join(problems))  # the rooms that did open said so in the notice


async def _move(ctx: CommandContext, target: Status, text: str | None, force: str | None = None) -> Incident:
    scale = lookup.scale_of(ctx.app)
    now = ctx.now

    def transition(current: Incident) -> Incident:
        try:
            return advance(current, target, now, scale, force)
        except EarlyResolve as early:
            mitigated = local_time(current.mitigated_at, ctx.tz, now) if current.mitigated_at else "?"
            window = format_duration(scale.level(current.severity).monitoring)
            raise Refused(
                f"Can't resolve {current.ref} yet: mitigated at {mitigated}, monitoring window for "
                f"{scale.label(current.severity)} is {window} — resolvable from "
                f"{local_time(early.until, ctx.tz, now)} ({relative(early.until, now)}). "
                f'To override: !incident resolve --force "<reason>"'
            ) from None

    return await _change_status(ctx, transition, force or text, forced=force is not None)


async def _change_status(
    ctx: CommandContext, transition: Callable[[Incident], Incident], text: str | None, forced: bool = False
) -> Incident:
    """Apply a state-machine transition inside one write, record it, and refresh the room."""
    inc = await lookup.find(ctx)
    now = ctx.now

    async def write(tx: Tx) -> Incident:
        current = await store.get(tx, inc.id)
        assert current is not None
        try:
            changed = transition(current)
        except Refused as refused:
            raise UserError(str(refused)) from None
        await store.save(tx, changed)
        await store.record(
            tx,
            StatusChanged.of(
                inc.id,
                now,
                ctx.sender.id,
                from_status=current.status.value,
                to_status=changed.status.value,
                text=text,
                forced=forced,
            ),
        )
        return changed

    changed = await ctx.app.db.write(write)
    await rooms.refresh(ctx.app, changed.id)
    return changed


@incident.command(
    "identified",
    Arg("text", required=False, greedy=True, help="what the cause is"),
    ID,
    help="the cause is known",
    example='!incident identified "connection pool exhausted after deploy 1234"',
    permission=PROGRESS,
)
async def identified(ctx: CommandContext, text: str | None, id: int | None) -> None:
    inc = await _move(ctx, Status.IDENTIFIED, text)
    await announce(ctx, inc, f"{inc.ref} is identified" + (f": {text}" if text else "."))


@incident.command(
    "mitigated",
    Arg("text", required=False, greedy=True, help="what stopped the impact"),
    ID,
    help="user impact has stopped; the monitoring window starts",
    example='!incident mitigated "rolled back to 1233"',
    permission=PROGRESS,
)
async def mitigated(ctx: CommandContext, text: str | None, id: int | None) -> None:
    inc = await _move(ctx, Status.MITIGATED, text)
    scale = lookup.scale_of(ctx.app)
    until = monitoring_until(inc, scale)
    assert until is not None
    await announce(
        ctx,
        inc,
        f"{inc.ref} is mitigated · monitoring until {local_time(until, ctx.tz, ctx.now)}"
        + (f": {text}." if text else ".")
        + f" Resolve after that with !incident resolve --id {inc.id}",
    )


@incident.command(
    "resolve",
    Option("--force", metavar='"REASON"', help="resolve now, recording why"),
    ID,
    help="close the incident after the monitoring window",
    example="!incident resolve",
    permission=RESOLVE,
)
async def resolve(ctx: CommandContext, force: str | None, id: int | None) -> None:
    inc = await _move(ctx, Status.RESOLVED, None, force)
    suffix = f" (forced: {force})" if force else ""
    await announce(ctx, inc, f"{inc.ref} is resolved{suffix}. Thank you all.")


@incident.command(
    "reopen",
    Arg("reason", greedy=True, help="what came back"),
    ID,
    help="a mitigated or resolved incident regressed",
    example='!incident reopen "errors are back"',
    permission=RESOLVE,
)
async def reopen_command(ctx: CommandContext, reason: str, id: int | None) -> None:
    await links.refuse_reopening_a_duplicate(ctx.app, await lookup.find(ctx))
    now = ctx.now
    changed = await _change_status(ctx, lambda current: reopen(current, now), reason)
    await announce(ctx, changed, f"{changed.ref} is reopened and investigating again: {reason}")


@incident.command("status", ID, help="where the incident stands", example="!incident status --id 42")
async def status(ctx: CommandContext, id: int | None) -> None:
    inc = await lookup.find(ctx)
    await ctx.reply(await status_text(ctx.app, inc, lookup.scale_of(ctx.app)))


@incident.command(
    "list",
    Option("--all", is_flag=True, help="include resolved incidents"),
    help="open incidents",
    example="!incident list",
)
async def listing(ctx: CommandContext, all: bool) -> None:
    scale = lookup.scale_of(ctx.app)
    admin = ctx.is_admin
    shown: list[str] = []
    async with ctx.app.db.read() as conn:
        for inc in await store.listing(conn, only_open=not all):
            if not await api.visible_to(conn, inc, ctx.sender.id, admin):
                continue
            ic = (await store.roles(conn, inc.id)).get("ic")
            shown.append(
                f"{drill_prefix(inc)}{inc.ref} · {scale.label(inc.severity)} · {inc.status} · "
                f'"{inc.title}" · '
                f"IC {'@' + ic.name if ic else '—'}" + (f" · {inc.room_name}" if inc.room_name else "")
            )
    if not shown:
        await ctx.reply(
            ("No incidents yet." if all else "No open incidents.")
            + f" Declare one: !incident declare <title> --sev <{scale.range_hint()}>"
        )
        return
    await ctx.reply(("All incidents:\n" if all else "Open incidents:\n") + "\n".join(shown))


def _looks_impact_first(text: str) -> bool:
    return any(sep in text for sep in (" — ", " - ", " -- ", "; ", " | "))


@incident.command(
    "update",
    Arg("text", greedy=True, help="what users see — mitigation status — next update"),
    ID,
    help="post a status update (resets the update reminder)",
    example='!incident update "checkout failing for ~30% of users — rolling back — next update 14:45"',
    permission=UPDATE,
    form=Form(
        title="Post an update",
        command="incident update",
        fields=(FormField(name="text", label="What users see — mitigation — next update", multiline=True),),
    ),
)
async def post_update(ctx: CommandContext, text: str, id: int | None) -> None:
    inc = await lookup.find(ctx)
    now = ctx.now
    sender = ctx.sender

    async def write(tx: Tx) -> Incident:
        try:
            return await api.post_update(tx, ctx.app, inc.id, text, sender)
        except Refused as refused:
            raise UserError(str(refused)) from None

    changed = await ctx.app.db.write(write)
    scale = lookup.scale_of(ctx.app)
    due = next_update_due(changed, scale)
    tail = f" Next update due {local_time(due, ctx.tz, now)}." if due else ""
    tip = "" if _looks_impact_first(text) else f"\nTip: lead with impact — {UPDATE_SHAPE}."
    await ctx.reply(f"Update posted to {changed.ref}.{tail}{tip}")
    await api.show_update(ctx.app, changed, text, f"@{sender.name}", ctx.place)


async def _record_text(ctx: CommandContext, event_type: type[IncidentEvent], text: str) -> int:
    """Add a text event inside one write (the incident is found without a query when known)."""
    now = ctx.now

    async def write(tx: Tx) -> int:
        number = await lookup.find_id(ctx, tx)
        event = event_type.of(number, now, ctx.sender.id, text=text)
        await store.record(tx, event)
        return number

    return await ctx.app.db.write(write)


@incident.command(
    "note",
    Arg("text", greedy=True),
    ID,
    help="add a note to the timeline",
    example='!incident note "deploy 1234 went out at 13:58"',
    permission=RECORD,
)
async def note(ctx: CommandContext, text: str, id: int | None) -> None:
    number = await _record_text(ctx, NoteAdded, text)
    await ctx.reply(f"Noted on INC-{number}.")


@incident.command(
    "hypothesis",
    Arg("text", greedy=True),
    ID,
    help="record the current hypothesis (shown in status)",
    example='!incident hypothesis "connection pool exhaustion"',
    permission=RECORD,
)
async def hypothesis(ctx: CommandContext, text: str, id: int | None) -> None:
    inc = await lookup.find(ctx)
    now = ctx.now

    async def write(tx: Tx) -> None:
        current = await store.get(tx, inc.id)
        assert current is not None
        await store.save(tx, replace(current, hypothesis=text))
        await store.record(
            tx,
            HypothesisSet.of(
                inc.id,
                now,
                ctx.sender.id,
                text=text,
            ),
        )

    await ctx.app.db.write(write)
    await rooms.refresh(ctx.app, inc.id)
    await announce(ctx, inc, f"{inc.ref} hypothesis: {text}")


async def _add_label(ctx: CommandContext, field: str, value: str) -> Incident:
    inc = await lookup.find(ctx)
    now = ctx.now

    async def write(tx: Tx) -> bool:
        current = await store.get(tx, inc.id)
        assert current is not None
        existing = current.tags if field == "tag" else current.services
        if value in existing:
            return False
        updated = tuple(sorted({*existing, value}))
        if field == "tag":
            await store.save(tx, replace(current, tags=updated))
        else:
            await store.save(tx, replace(current, services=updated))
        event = (
            TagAdded.of(inc.id, now, ctx.sender.id, tag=value)
            if field == "tag"
            else ServiceAdded.of(inc.id, now, ctx.sender.id, service=value)
        )
        await store.record(tx, event)
        return True

    if not await ctx.app.db.write(write):
        raise UserError(f"{inc.ref} already has the {field} {value!r}.")
    await rooms.refresh(ctx.app, inc.id)
    return inc


@incident.command(
    "tag", Arg("tag", label), ID, help="tag the incident", example="!incident tag database", permission=RECORD
)
async def add_tag(ctx: CommandContext, tag: str, id: int | None) -> None:
    inc = await _add_label(ctx, "tag", tag)
    await ctx.reply(f"Tagged {inc.ref} with {tag}.")


@incident.command(
    "service",
    Arg("name", label),
    ID,
    help="name an affected service",
    example="!incident service checkout-api",
    permission=RECORD,
)
async def add_service(ctx: CommandContext, name: str, id: int | None) -> None:
    inc = await _add_label(ctx, "service", name)
    await ctx.reply(f"{inc.ref} affects {name}.")
