"""``!drill list|start|status|pause|resume|stop|pool|join|debrief``."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from chatops import Arg, CommandContext, CommandGroup, Option, Permission, User, UserError
from chatops import events as event_log
from chatops.clock import format_duration
from chatops.models.content import Content, Text
from chatops.storage.db import Tx
from chatops.timefmt import local_time, relative
from chatops_plugins.drill import play, rotation, scenario, store
from chatops_plugins.drill.config import DrillConfig
from chatops_plugins.drill.events import DrillStarted, InjectPlayed, ParticipantJoined, stream_of
from chatops_plugins.incident import lookup
from chatops_plugins.incident import store as incidents
from chatops_plugins.oncall import people
from chatops_plugins.oncall.commands import RESPONDER
from chatops_plugins.oncall.config import OncallConfig

log = logging.getLogger("chatops.drill")

RUN = Permission("drill.run", (RESPONDER, "admin"), "start, pause, resume and stop drills")
MARK = play.MARK
BANNER = f"{MARK} — practice, nothing here is real."

drill = CommandGroup("drill", help="practice drills: a scenario played as a real incident, then a debrief")


def settings(ctx: CommandContext) -> DrillConfig:
    found: DrillConfig = ctx.app.section("drill")
    return found


def oncall(ctx: CommandContext) -> OncallConfig:
    found: OncallConfig = ctx.app.section("oncall")
    return found


def drill_ref(raw: str, ctx: CommandContext) -> int:
    digits = raw.strip().upper().removeprefix("DRILL-")
    if not digits.isdigit() or len(digits) > 9:
        raise ValueError(f"{raw!r} is not a drill (use 3 or DRILL-3)")
    return int(digits)


def person(raw: str, ctx: CommandContext) -> str:
    """``@alice`` -> ``alice``: someone in oncall.people (a drill pages people in chat)."""
    known = oncall(ctx).people
    key = raw.removeprefix("@")
    if key in known:
        return key
    user = ctx.transport.resolve_mention(raw)
    found = oncall(ctx).person_of(user.id) if user else None
    if found is None:
        names = ", ".join(f"@{p}" for p in sorted(known)) or "nobody is configured (oncall.people)"
        raise ValueError(f"{raw} is not in oncall.people, so a drill cannot page them (people: {names})")
    return found


ID = Option("--id", drill_ref, metavar="N", help="the drill (3 or DRILL-3); implied in its room")


async def catalog(ctx: CommandContext) -> scenario.Catalog:
    levels = [level.number for level in lookup.scale_of(ctx.app).levels]
    return await asyncio.to_thread(scenario.load, settings(ctx).directory(), levels)


async def find(ctx: CommandContext, wanted: int | None) -> store.Drill:
    async with ctx.app.db.read() as conn:
        found = (
            await store.get(conn, wanted) if wanted is not None else await store.in_room(conn, ctx.room.id)
        )
        running = await store.live(conn)
    if found is None or found.state in (store.OPENING, store.FAILED):
        live = ", ".join(d.ref for d in running) or "none"
        if wanted is not None:
            raise UserError(f"No drill DRILL-{wanted}. Running: {live} (see !drill status --id <n>).")
        raise UserError(f"Which drill? Run this in the drill's room or add --id <n> (running: {live}).")
    return found


@drill.command(
    "list", help="the scenarios you can start (and any file that is broken)", example="!drill list"
)
async def list_scenarios(ctx: CommandContext) -> None:
    found = await catalog(ctx)
    lines = [f"Drill scenarios in {found.directory}:"] if found.scenarios else []
    lines += [f"• {s.summary()}" for s in found.scenarios.values()]
    if not found.scenarios:
        lines.append(f"No drill scenario in {found.directory}. Write one: see docs/drills.md.")
    if found.problems:
        lines.append("⚠️ Not usable until fixed:")
        lines += [f"• {p}" for p in found.problems]
    if found.scenarios:
        lines.append(f"Start one: !drill start {next(iter(found.scenarios))} [--ic @person]")
    await ctx.reply("\n".join(lines))


async def pool_of(ctx: CommandContext) -> tuple[list[str], str, list[str]]:
    """The IC pool, where it comes from, and pool entries not in oncall.people."""
    configured = settings(ctx).ic_pool
    known = oncall(ctx).people
    if configured:
        source = "drill.ic_pool"
        pool = list(configured)
    else:
        name = oncall(ctx).ic_schedule
        schedule = oncall(ctx).schedules.get(name) if name else None
        if schedule is None:
            return [], "", []
        source = f"the people of oncall.ic_schedule ({name})"
        pool = rotation.schedule_people([layer.participants for layer in schedule.layers])
    unknown = [p for p in pool if p not in known]
    return [p for p in pool if p in known], source, unknown


NO_POOL = (
    "No IC pool: set drill.ic_pool (people from oncall.people) or oncall.ic_schedule, "
    "or name the Incident Commander: !drill start <scenario> --ic @person"
)


@drill.command(
    "pool", help="the Incident Commander rotation for drills, and who is next", example="!drill pool"
)
async def pool(ctx: CommandContext) -> None:
    members, source, unknown = await pool_of(ctx)
    if not members:
        raise UserError(NO_POOL)
    async with ctx.app.db.read() as conn:
        led = await store.last_led(conn)
    turns = rotation.order(members, led)
    lines = [f"Drill IC rotation ({source}), least recently led first:"]
    for n, key in enumerate(turns):
        when = f"last led {local_time(led[key], ctx.tz, ctx.now)}" if key in led else "never led a drill"
        lines.append(f"{'→ next' if n == 0 else '  then'}  @{key} ({when})")
    if unknown:
        lines.append(f"⚠️ Left out, not in oncall.people: {', '.join(unknown)}")
    await ctx.reply("\n".join(lines))


@drill.command(
    "start",
    Arg("name", metavar="scenario"),
    Option("--ic", person, metavar="@PERSON", help="the Incident Commander (default: next in the pool)"),
    Option("--with", person, multiple=True, metavar="@PERSON", help="someone else taking part"),
    help="start a drill: a practice room, a briefing, the scenario's injects on time",
    example="!drill start checkout-latency --ic @carol",
    permission=RUN,
)
async def start(ctx: CommandContext, name: str, ic: str | None, **options: Any) -> None:
    others: list[str] = options.get("with") or []
    found = await catalog(ctx)
    plan = found.scenarios.get(name)
    if plan is None:
        broken = [p for p in found.problems if p.startswith((f"{name}.yaml:", f"{name}.yml:"))]
        if broken:
            raise UserError(f"Scenario {name} cannot start until its file is fixed:\n" + "\n".join(broken))
        known = ", ".join(found.scenarios) or "none (see !drill list)"
        raise UserError(f"No drill scenario {name!r}. Scenarios: {known}.")
    why = "named with --ic"
    if ic is None:
        members, _source, _unknown = await pool_of(ctx)
        async with ctx.app.db.read() as conn:
            led = await store.last_led(conn)
        ic = rotation.next_ic(members, led)
        if ic is None:
            raise UserError(NO_POOL)
        why = "next in the drill IC rotation: !drill pool"
    async with ctx.app.db.read() as conn:
        starter = await people.person_of(ctx.app, conn, ctx.sender.id)
        taking_part = list(dict.fromkeys([p for p in (starter, ic, *others) if p]))
        accounts = {p: await people.account_on(ctx.app, conn, p, ctx.transport.name) for p in taking_part}
    now = ctx.now
    prefix = settings(ctx).room_prefix

    async def open_row(tx: Tx) -> store.Drill:
        made = await store.create(
            tx,
            scenario=plan.name,
            script=plan.model_dump(mode="json"),
            state=store.OPENING,
            room_name="",
            started_by=ctx.sender.id,
            started_at=now,
            ic=ic,
            participants=taking_part,
        )
        return await store.change(tx, made.id, room_name=f"{prefix}-{made.id}-{plan.name}")

    opened = await ctx.app.db.write(open_row)
    invite: list[User] = [ctx.sender, *(a for a in accounts.values() if a and a.id != ctx.sender.id)]
    try:
        room = await ctx.transport.create_room(
            opened.room_name,
            f"{MARK} · practice, nothing here is real · {opened.ref} · {plan.title} · IC @{ic}",
            private=False,
            invite=invite,
            display_name=f"🧪 {opened.ref} · {plan.title}",
            origin_room_id=ctx.room.id,
        )
    except Exception as exc:
        log.exception("creating the room of %s failed", opened.ref)
        await ctx.app.db.write(lambda tx: store.change(tx, opened.id, state=store.FAILED))
        raise UserError(
            f"Could not create the drill's room ({type(exc).__name__}); nothing started. Try again, "
            "or check the bot may create rooms on this platform."
        ) from None

    async def begin(tx: Tx) -> tuple[store.Drill, int]:
        running = await store.change(
            tx,
            opened.id,
            state=store.RUNNING,
            room_id=room.id,
            room_name=room.name,
            started_at=ctx.app.clock.now(),
        )
        await event_log.record(
            tx,
            DrillStarted.of(
                running.id,
                running.started_at,
                ctx.sender.id,
                scenario=plan.name,
                ic=ic,
                text=f"{plan.title} · IC @{ic}",
            ),
        )
        armed = await play.arm(tx, ctx.app, running)
        await tx.send(room.id, briefing(running, plan, taking_part))
        await tx.send(room.id, play.ic_line(accounts.get(ic), ic, running, why))
        return running, armed

    running, armed = await ctx.app.db.write(begin)
    await ctx.reply(
        f"🧪 {running.ref} started: “{plan.title}” in {room.name} · Incident Commander @{ic} ({why}) · "
        f"{armed} injects over {format_duration(plan.length())}.\n"
        f"!drill pause --id {running.id} · !drill resume --id {running.id} · !drill stop --id {running.id}"
    )


def briefing(running: store.Drill, plan: scenario.Scenario, taking_part: list[str]) -> Content:
    return Content(
        (
            Text((BANNER,)),
            Text((f"{running.ref} · {plan.title}",)),
            Text((plan.briefing.strip(),)),
            Text(
                (
                    f"Taking part: {', '.join('@' + p for p in taking_part)} (others join with !drill join). "
                    f"Injects arrive over the next {format_duration(plan.length())}. An incident declared "
                    "here is a practice incident: it pages only people in this drill, in chat; its status "
                    "page is a sandbox; it is never counted in metrics.",
                )
            ),
            Text(("!drill status · !drill pause · !drill resume · !drill stop",)),
        )
    )


@drill.command("status", ID, help="where a drill stands", example="!drill status")
async def status(ctx: CommandContext, id: int | None) -> None:
    found = await find(ctx, id)
    await ctx.reply(await describe(ctx, found))


async def describe(ctx: CommandContext, found: store.Drill) -> str:
    plan = found.plan
    now = ctx.now
    async with ctx.app.db.read() as conn:
        done = {
            int(e.data()["index"])
            for e in await event_log.stream(conn, stream_of(found.id), (InjectPlayed.kind,))
        }
        incident = await incidents.get(conn, found.incident_id) if found.incident_id else None
    state = found.state
    if found.state == store.PAUSED and found.paused_at is not None:
        state = f"paused since {local_time(found.paused_at, ctx.tz, now)}"
    elif found.state == store.ENDED:
        state = f"ended ({found.ended_how}) — its debrief: !drill debrief {found.id}"
    starter = found.started_by.split(":", 1)[-1]
    taking_part = ", ".join("@" + p for p in found.participants) or "nobody yet"
    lines = [
        f"🧪 {found.ref} · {plan.name} · {state}",
        f"“{plan.title}” · started {local_time(found.started_at, ctx.tz, now)} by @{starter}"
        f" · Incident Commander @{found.ic}",
        f"Taking part: {taking_part} · room {found.room_name}",
    ]
    waiting = [(i, inj) for i, inj in enumerate(plan.timeline) if i not in done]
    played_line = f"Injects: {len(done)} of {len(plan.timeline)} played"
    if waiting and found.state == store.RUNNING:
        when = play.due(found, waiting[0][1])
        played_line += f", next {local_time(when, ctx.tz, now)} ({relative(when, now)})"
    elif waiting and found.state == store.PAUSED and found.paused_at is not None:
        gap = play.due(found, waiting[0][1]) - found.paused_at
        played_line += f", next {format_duration(max(gap, timedelta(0)))} after !drill resume"
    lines.append(played_line)
    if incident is not None:
        lines.append(f"Practice incident: {incident.ref} · {incident.status} · {incident.room_name}")
    elif found.live:
        lines.append(
            'No incident declared yet (declare here: !incident declare "<what users see>" --sev <n>).'
        )
    return "\n".join(lines)


@drill.command(
    "pause",
    ID,
    help="stop the drill's clock: no inject plays until resumed",
    example="!drill pause",
    permission=RUN,
)
async def pause(ctx: CommandContext, id: int | None) -> None:
    found = await find(ctx, id)

    async def write(tx: Tx) -> store.Drill:
        current = await store.get(tx, found.id)
        assert current is not None
        if current.state != store.RUNNING:
            raise UserError(f"{current.ref} is {current.state}, not running; nothing to pause.")
        return await play.pause(tx, ctx.app, current, ctx.sender.id)

    paused = await ctx.app.db.write(write)
    await announce(
        ctx,
        paused,
        f"⏸️ 🧪 {paused.ref} paused: no inject plays until !drill resume --id {paused.id} "
        "(the drill's clock stops; the debrief leaves the pause out).",
    )


@drill.command(
    "resume",
    ID,
    help="restart the drill's clock; what is left plays later by the pause",
    example="!drill resume",
    permission=RUN,
)
async def resume(ctx: CommandContext, id: int | None) -> None:
    found = await find(ctx, id)

    async def write(tx: Tx) -> tuple[store.Drill, int]:
        current = await store.get(tx, found.id)
        assert current is not None
        if current.state != store.PAUSED:
            raise UserError(f"{current.ref} is {current.state}, not paused.")
        return await play.resume(tx, ctx.app, current, ctx.sender.id)

    resumed, length = await ctx.app.db.write(write)
    await announce(
        ctx,
        resumed,
        f"▶️ 🧪 {resumed.ref} resumed after {format_duration(timedelta(seconds=length))}: "
        "the injects still to come are that much later.",
    )


@drill.command("stop", ID, help="end the drill now, with its debrief", example="!drill stop", permission=RUN)
async def stop(ctx: CommandContext, id: int | None) -> None:
    found = await find(ctx, id)

    async def write(tx: Tx) -> store.Drill:
        current = await store.get(tx, found.id)
        assert current is not None
        if not current.live:
            raise UserError(f"{current.ref} has ended already; its debrief: !drill debrief {current.id}")
        return await play.end(tx, ctx.app, current, "stopped", ctx.sender.id)

    ended = await ctx.app.db.write(write)
    if ended.room_id != ctx.room.id:
        await ctx.reply(
            f"⏹️ 🧪 {ended.ref} stopped; its debrief is in {ended.room_name} (!drill debrief {ended.id})."
        )


@drill.command("join", ID, help="take part in a drill (drill pages can reach you)", example="!drill join")
async def join(ctx: CommandContext, id: int | None) -> None:
    found = await find(ctx, id)
    async with ctx.app.db.read() as conn:
        me = await people.person_of(ctx.app, conn, ctx.sender.id)
    if me is None:
        raise UserError(
            "You are not in oncall.people, so a drill cannot page you; ask an admin to add you, "
            "or link this account: !whoami link"
        )

    async def write(tx: Tx) -> bool:
        current = await store.get(tx, found.id)
        assert current is not None
        if not current.live:
            raise UserError(f"{current.ref} has ended.")
        if me in current.participants:
            return False
        await store.change(tx, current.id, participants=[*current.participants, me])
        await event_log.record(
            tx, ParticipantJoined.of(current.id, ctx.now, ctx.sender.id, person=me, text=f"@{me} joined")
        )
        return True

    if not await ctx.app.db.write(write):
        raise UserError(f"You take part in {found.ref} already.")
    await ctx.reply(f"@{me} takes part in {found.ref}: drill pages can reach you (in chat only).")


@drill.command(
    "debrief",
    Arg("number", drill_ref, required=False, metavar="N"),
    help="a drill's debrief (Markdown): its figures and the events that decided them",
    example="!drill debrief 3",
)
async def show_debrief(ctx: CommandContext, number: int | None) -> None:
    found = await find(ctx, number)
    if found.debrief is None:
        raise UserError(
            f"{found.ref} is still {found.state}; the debrief comes when its practice incident is "
            f"resolved or the drill is stopped (!drill stop --id {found.id})."
        )
    await ctx.reply(found.debrief)


async def announce(ctx: CommandContext, found: store.Drill, text: str) -> None:
    """Answer where the command was typed, and tell the drill's rooms too."""
    await ctx.reply(text)
    async with ctx.app.db.read() as conn:
        incident_room = None
        if found.incident_id is not None:
            incident = await incidents.get(conn, found.incident_id)
            incident_room = incident.room_id if incident else None
    for room in (found.room_id, incident_room):
        if room and not ctx.sees(room):
            await ctx.app.outbound.send(room, text)
