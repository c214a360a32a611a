"""Chat commands: ``!oncall who|schedule|override|swap|accept|decline|sync|ical|load``,
``!page``, ``!ack``, ``!whoami [link]``."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select

from chatops import Arg, CommandContext, CommandGroup, Option, Permission, UserError
from chatops.commands.declare import Command
from chatops.storage.db import Tx
from chatops.timefmt import local_time
from chatops_plugins.oncall import calendars, handoff, ical, load, load_sql, paging, people, swaps
from chatops_plugins.oncall.config import OncallConfig, duration, zone
from chatops_plugins.oncall.policy import direct
from chatops_plugins.oncall.schedule import Override, localize, overlapping
from chatops_plugins.oncall.tables import link_codes, links, overrides

RESPONDER = "responder"  # anyone the on-call config knows (a person with a linked account)
OVERRIDE = Permission("oncall.override", (RESPONDER, "admin"), "change on-call schedules")
PAGE = Permission("oncall.page", (RESPONDER, "admin"), "page people")

oncall = CommandGroup("oncall", help="who is on call, schedules, overrides")


def config(ctx: CommandContext) -> OncallConfig:
    found: OncallConfig = ctx.app.section("oncall")
    return found


def schedule_name(raw: str, ctx: CommandContext) -> str:
    known = config(ctx).schedules
    if raw not in known:
        raise ValueError(f"no schedule {raw!r} (schedules: {', '.join(sorted(known)) or 'none configured'})")
    return raw


def person_key(raw: str, ctx: CommandContext) -> str:
    """``@alice`` (a person's key, or a mention of one of their accounts) -> ``alice``."""
    settings = config(ctx)
    key = raw.removeprefix("@")
    if key in settings.people:
        return key
    user = ctx.transport.resolve_mention(raw)
    found = settings.person_of(user.id) if user else None
    if found is None:
        raise ValueError(f"{raw} is not in the on-call config (people: {', '.join(sorted(settings.people))})")
    return found


def tz_of(ctx: CommandContext, person: str | None) -> ZoneInfo:
    settings = config(ctx)
    if person is not None and person in settings.people:
        return zone(settings.people[person].timezone)
    return ctx.tz


def when(raw: str, now: datetime, tz: ZoneInfo) -> datetime:
    """``now``, ``in 2h``, ``22:00`` (the next one), or ``2026-03-28 22:00`` (in ``tz``)."""
    text = raw.strip().lower()
    if text == "now":
        return now
    if text.startswith("in "):
        return now + duration(text[3:])
    hm = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    try:
        if hm:
            wall = now.astimezone(tz).replace(
                tzinfo=None, hour=int(hm[1]), minute=int(hm[2]), second=0, microsecond=0
            )
            found = localize(wall, tz)
            return found if found >= now else localize(wall + timedelta(days=1), tz)
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(f"not a time: {raw!r} (use now, 22:00, in 2h, or 2026-03-28 22:00)") from None
    return parsed if parsed.tzinfo else localize(parsed, tz)


async def sender_person(ctx: CommandContext) -> str | None:
    async with ctx.app.db.read() as conn:
        return await people.person_of(ctx.app, conn, ctx.sender.id)


def _line(person: str | None, source: str) -> str:
    if person is None:
        return "nobody"
    return f"@{person}" + (" (override)" if source == "override" else f" ({source})" if source else "")


@oncall.command(
    "who",
    Arg("schedule", schedule_name, required=False),
    Option("--at", metavar="TIME", help="another time: 22:00, in 3h, 2026-03-28 22:00"),
    help="who is on call now (or --at a time)",
    example="!oncall who platform --at 22:00",
)
async def who(ctx: CommandContext, schedule: str | None, at: str | None) -> None:
    settings = config(ctx)
    me = await sender_person(ctx)
    tz = tz_of(ctx, me)
    now = ctx.now
    try:
        instant = when(at, now, tz) if at else now
    except ValueError as exc:
        raise UserError(str(exc)) from None
    names = [schedule] if schedule else sorted(settings.schedules)
    if not names:
        raise UserError("No schedules are configured (oncall.schedules).")
    label = "now" if instant == now else f"at {local_time(instant, tz, now)}"
    lines = [f"On call {label}:"]
    for name in names:
        if settings.schedules[name].provider == "builtin":
            async with ctx.app.db.read() as conn:
                built = await people.schedule(ctx.app, conn, name)
            person, source = built.who(instant)
            current = built.segments(instant, instant + timedelta(days=35))[0]
            ends = current.ends_at if current.person is not None else None
            until = f" until {local_time(ends, tz, now)}" if ends and person else ""
            lines.append(f"  {name}: {_line(person, source)}{until}")
        else:
            person, problem = await people.on_call(ctx.app, name, instant)
            found = _line(person, settings.schedules[name].provider)
            lines.append(f"  {name}: {found}" + (f" — {problem}" if problem else ""))
    await ctx.reply("\n".join(lines))


@oncall.command(
    "schedule",
    Arg("schedule", schedule_name, required=False),
    Option("--week", is_flag=True, help="the next 7 days (default: the next 24 hours)"),
    help="who is on call when, in your timezone",
    example="!oncall schedule platform --week",
)
async def show_schedule(ctx: CommandContext, schedule: str | None, week: bool) -> None:
    settings = config(ctx)
    names = (
        [schedule]
        if schedule
        else sorted(n for n, s in settings.schedules.items() if s.provider == "builtin")
    )
    if not names:
        raise UserError("No built-in schedules are configured (oncall.schedules).")
    tz = tz_of(ctx, await sender_person(ctx))
    now = ctx.now
    end = now + (timedelta(days=7) if week else timedelta(days=1))
    lines: list[str] = []
    for name in names:
        async with ctx.app.db.read() as conn:
            built = await people.schedule(ctx.app, conn, name)
        lines.append(f"{name} ({tz.key}):")
        for segment in built.segments(now, end):
            begins, ends = segment.starts_at.astimezone(tz), segment.ends_at.astimezone(tz)
            span = f"{begins:%a %d %b %H:%M} to {ends:%a %d %b %H:%M %Z}"
            lines.append(f"  {span}  {_line(segment.person, segment.source)}")
        lines += [
            f"  {line}"
            for layer in await calendars.status(ctx.app, name)
            for line in _calendar(layer, tz, now)
        ]
    await ctx.reply("\n".join(lines))


def _calendar(layer: calendars.Status, tz: ZoneInfo, now: datetime) -> list[str]:
    """How fresh a calendar layer is, and what in it names nobody."""
    if layer.fetched_at is None:
        state = "not fetched yet" if layer.error is None else "never fetched"
        found = [f"Layer {layer.layer} (calendar): {state}."]
    else:
        fetched = local_time(layer.fetched_at, tz, now)
        found = [f"Layer {layer.layer} (calendar): {layer.shifts} shift(s), fetched {fetched}."]
    if layer.error and layer.checked_at:
        found.append(f"⚠️ The last fetch ({local_time(layer.checked_at, tz, now)}) failed: {layer.error}")
    if layer.unmatched:
        shown = "; ".join(layer.unmatched[:3]) + (" …" if len(layer.unmatched) > 3 else "")
        found.append(
            f"⚠️ {len(layer.unmatched)} event(s) name nobody: {shown} "
            "(add the name to that person's external in oncall.people)"
        )
    return found


@oncall.command(
    "sync",
    Arg("schedule", schedule_name, required=False),
    help="fetch the calendar layers now",
    example="!oncall sync platform",
)
async def sync(ctx: CommandContext, schedule: str | None) -> None:
    if not calendars.sources(ctx.app, schedule):
        where = f"{schedule} has no calendar layers" if schedule else "No schedule has a calendar layer"
        raise UserError(f"{where} (a layer with ical: url).")
    results = await calendars.sync_of(ctx.app).run(schedule)
    lines = [f"{layer}: " + (f"failed — {error}" if error else "fetched") for layer, error in results.items()]
    await ctx.reply("\n".join(lines))


@oncall.command(
    "override",
    Arg("schedule", schedule_name),
    Arg("person", person_key, metavar="@user"),
    Arg("start", metavar="FROM"),
    Arg("end", metavar="TO-or-DURATION"),
    help="someone else covers a schedule for a while",
    example="!oncall override platform @carol 22:00 8h",
    permission=OVERRIDE,
)
async def override(ctx: CommandContext, schedule: str, person: str, start: str, end: str) -> None:
    tz = tz_of(ctx, await sender_person(ctx))
    now = ctx.now
    try:
        starts = when(start, now, tz)
        try:
            ends = starts + duration(end)
        except ValueError:
            ends = when(end, starts, tz)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if ends <= starts:
        raise UserError(
            f"The override ends ({local_time(ends, tz, now)}) "
            f"before it starts ({local_time(starts, tz, now)})."
        )
    if ends <= now:
        raise UserError("That override is entirely in the past.")
    new = Override(person, starts, ends)

    async def write(tx: Tx) -> None:
        built = await people.schedule(ctx.app, tx, schedule)
        clash = overlapping(new, [o for o in built.overrides if o.ends_at > now])
        if clash is not None:
            raise UserError(
                f"That overlaps @{clash.person}'s override of {schedule} "
                f"({local_time(clash.starts_at, tz, now)} to {local_time(clash.ends_at, tz, now)}); "
                "end it earlier or pick another time."
            )
        await tx.execute(
            insert(overrides).values(
                schedule=schedule,
                person=person,
                starts_at=starts,
                ends_at=ends,
                created_by=ctx.sender.id,
                created_at=now,
            )
        )
        await handoff.arm(tx, ctx.app, schedule)  # the override moves the next hand-off

    await ctx.app.db.write(write)
    await ctx.reply(
        f"@{person} covers {schedule} from {local_time(starts, tz, now)} to {local_time(ends, tz, now)}."
    )


def _swap_id(raw: str, ctx: CommandContext) -> int:
    text = raw.strip().upper().removeprefix("S-")
    if not text.isdigit() or len(text) > 9:
        raise ValueError(f"{raw!r} is not a swap (use S-3 or 3)")
    return int(text)


def _moment(raw: str | None, ctx: CommandContext, tz: ZoneInfo) -> datetime | None:
    try:
        return when(raw, ctx.now, tz) if raw else None
    except ValueError as exc:
        raise UserError(str(exc)) from None


@oncall.command(
    "swap",
    Arg("schedule", schedule_name),
    Arg("partner", person_key, metavar="@user"),
    Option("--mine", metavar="TIME", help="your shift running then (default: your next)"),
    Option("--theirs", metavar="TIME", help="their shift running then (default: their next)"),
    help="trade shifts with someone (they accept or decline)",
    example="!oncall swap platform @bob",
    permission=OVERRIDE,
)
async def swap(
    ctx: CommandContext, schedule: str, partner: str, mine: str | None, theirs: str | None
) -> None:
    me = await sender_person(ctx)
    if me is None:
        raise UserError(
            "Only people in the on-call config have shifts to swap. Link your account: !whoami link"
        )
    tz = tz_of(ctx, me)
    mine_at, theirs_at = _moment(mine, ctx, tz), _moment(theirs, ctx, tz)
    asked = await ctx.app.db.write(
        lambda tx: swaps.propose(tx, ctx.app, schedule, me, partner, mine_at, theirs_at)
    )
    await ctx.reply(
        f"Asked @{partner} ({asked.ref}): they take your {schedule} shift {swaps.span_text(asked.mine, tz)}, "
        f"you take theirs {swaps.span_text(asked.theirs, tz)}. Nothing changes until they accept."
    )


@oncall.command(
    "accept",
    Arg("swap_id", _swap_id, metavar="S-3"),
    help="accept a shift swap asked of you",
    example="!oncall accept S-3",
)
async def accept_swap(ctx: CommandContext, swap_id: int) -> None:
    me = await sender_person(ctx)
    done = await ctx.app.db.write(lambda tx: swaps.accept(tx, ctx.app, swap_id, me, ctx.is_admin))
    tz = tz_of(ctx, me)
    await ctx.reply(
        f"Swapped ({done.ref}): @{done.partner} covers {swaps.span_text(done.mine, tz)}, "
        f"@{done.requester} covers {swaps.span_text(done.theirs, tz)}."
    )


@oncall.command(
    "decline",
    Arg("swap_id", _swap_id, metavar="S-3"),
    help="decline a shift swap (or withdraw your own)",
    example="!oncall decline S-3",
)
async def decline_swap(ctx: CommandContext, swap_id: int) -> None:
    me = await sender_person(ctx)
    done = await ctx.app.db.write(lambda tx: swaps.decline(tx, ctx.app, swap_id, me, ctx.is_admin))
    await ctx.reply(f"{done.ref} is off; the {done.schedule} schedule is unchanged.")


@oncall.command(
    "ical",
    Arg("schedule", schedule_name),
    help="the schedule as a calendar feed (the link comes by direct message)",
    example="!oncall ical platform",
)
async def ical_link(ctx: CommandContext, schedule: str) -> None:
    link = ical.url(config(ctx), schedule)
    if link is None:
        raise UserError("Calendar feeds are off: set oncall.ical_secret and oncall.public_url.")
    await ctx.send_direct(ctx.sender, f"The {schedule} on-call calendar (keep the link private): {link}")
    if not ctx.room.direct:
        await ctx.reply("I sent you the calendar link by direct message.")


def since_day(raw: str, ctx: CommandContext) -> datetime:
    """``2026-03-01`` (midnight in the room's timezone) or a full ISO time."""
    try:
        found = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(f"not a date: {raw!r} (use e.g. 2026-03-01)") from None
    return found if found.tzinfo else localize(found, ctx.tz)


@oncall.command(
    "load",
    Option("--since", since_day, metavar="DATE", help="from this day on (default: the last 4 weeks)"),
    help="who carries the pager: pages, outside hours, nights, incident time per person",
    example="!oncall load --since 2026-03-01",
)
async def show_load(ctx: CommandContext, since: datetime | None) -> None:
    now = ctx.now
    found = await load_sql.gather(ctx.app, load_sql.period(since, now, ctx.tz), now)
    await ctx.reply("\n".join(load.chat_lines(found, ctx.tz)))


async def page(ctx: CommandContext, target: str, message: str, sev: int | None) -> None:
    settings = config(ctx)
    name = target.removeprefix("@")
    if target.startswith("@") or name in settings.people:
        person = person_key(target if target.startswith("@") else f"@{target}", ctx)
        route, policy = f"user:{person}", direct(f"user:{person}")
    elif (found := settings.policy(name)) is not None:
        route, policy = f"policy:{name}", found
    elif name in settings.schedules:
        route, policy = f"schedule:{name}", direct(f"schedule:{name}")
    else:
        known = sorted({*settings.schedules, *settings.policies})
        raise UserError(
            f"No schedule, policy or person {target!r} to page (known: {', '.join(known) or 'none'})."
        )
    from chatops_plugins.incident import store as incidents

    async def write(tx: Tx) -> tuple[paging.Page, bool]:
        incident = await incidents.at(tx, ctx.place, ctx.app.bridges.rooms(ctx.room.id))
        practice = incident.drill if incident else await paging.practice_room(tx, ctx.room.id)
        if practice:
            await _practice_target(tx, ctx, route)
        started = await paging.start(
            tx,
            target=route,
            policy=policy,
            message=message,
            severity=sev if sev is not None else (incident.severity if incident else None),
            incident_id=incident.id if incident else None,
            room_id=ctx.place,
            actor=ctx.sender.id,
        )
        return started, practice

    started, practice = await ctx.app.db.write(write)
    if started.state == paging.OPEN:
        drill = " 🧪 A drill page: in chat only." if practice else ""
        await ctx.reply(
            f"{started.ref} is paging {route.split(':', 1)[1]} ({policy.position(0, 0)}); "
            f"!ack {started.ref} stops it.{drill}"
        )


async def _practice_target(tx: Tx, ctx: CommandContext, route: str) -> None:
    """In a drill, a page reaches only a drill participant: never a schedule, a policy or a bystander."""
    found = await ctx.app.hooks.call_first("chatops_practice_participants", tx=tx, room_id=ctx.room.id)
    taking_part: list[str] = list(found or [])
    names = ", ".join(f"@{p}" for p in taking_part) or "nobody yet"
    kind, _, name = route.partition(":")
    if kind != "user":
        example = f"@{taking_part[0]}" if taking_part else "@<participant>"
        raise UserError(
            f"This is a drill: {name} would page real on-call people. Page a drill participant by name, "
            f'e.g. !page {example} "<message>" (participants: {names}).'
        )
    if name not in taking_part:
        raise UserError(
            f"@{name} is not taking part in this drill, so a drill page cannot reach them "
            f"(participants: {names}). To take part, they type !drill join in the drill's room."
        )


def _page_id(raw: str, ctx: CommandContext) -> int:
    text = raw.strip().upper().removeprefix("P-")
    if not text.isdigit() or len(text) > 9:
        raise ValueError(f"{raw!r} is not a page (use P-17 or 17)")
    return int(text)


async def ack(ctx: CommandContext, page_id: int | None) -> None:
    me = await sender_person(ctx)
    if me is None and not ctx.is_admin:
        raise UserError(
            "You are not in the on-call config, so no page reached you. Link your account: !whoami link"
        )

    async def write(tx: Tx) -> paging.Page:
        if page_id is None:
            found = await paging.latest_open_for(tx, me) if me else None
            if found is None:
                raise UserError("You have no open page. To acknowledge another: !ack P-<n>")
        else:
            found = await paging.get(tx, page_id)
            if found is None:
                raise UserError(f"There is no page P-{page_id}.")
        refusal = paging.ack_refusal(found, ctx.tz, ctx.now)
        if refusal is not None:
            raise UserError(refusal)
        if not ctx.is_admin and me not in await paging.reached(tx, found.id):
            raise UserError(f"{found.ref} was not sent to you; only the people it paged can acknowledge it.")
        return await paging.acknowledge(tx, found, me or ctx.sender.name, ctx.sender)

    acked = await ctx.app.db.write(write)
    await ctx.reply(f"Acknowledged {acked.ref}: escalation stopped.")
    await paging.show_acknowledged(ctx.app, acked)


async def whoami(ctx: CommandContext, action: str | None, code: str | None) -> None:
    settings = config(ctx)
    if action is None:
        async with ctx.app.db.read() as conn:
            me = await people.person_of(ctx.app, conn, ctx.sender.id)
            found = await people.person(ctx.app, conn, me) if me else None
        if found is None:
            await ctx.reply(
                f"You are {ctx.sender.id}, not in the on-call config. "
                "To link this account to your other one: !whoami link"
            )
            return
        accounts = ", ".join(a.id for a in found.accounts)
        tz = settings.people[found.key].timezone if found.key in settings.people else "UTC"
        await ctx.reply(f"You are @{found.key} ({tz}); accounts: {accounts}.")
        return
    if action != "link":
        raise UserError("Use !whoami, or !whoami link to link another chat account.")
    now = ctx.now
    if code is None:
        issued = f"{secrets.randbelow(10**8):08d}"
        ttl = duration(settings.link_code_ttl)

        async def issue(tx: Tx) -> None:
            await tx.execute(delete(link_codes).where(link_codes.c.expires_at <= now))
            await tx.execute(
                insert(link_codes).values(code=issued, account=ctx.sender.id, expires_at=now + ttl)
            )

        await ctx.app.db.write(issue)
        await ctx.send_direct(
            ctx.sender,
            f"Your link code is {issued}. From your other chat account, type !whoami link {issued} "
            f"within {settings.link_code_ttl}. Never share it: it lets that account act as you.",
        )
        if not ctx.room.direct:
            await ctx.reply("I sent you a link code by direct message.")
        return

    async def confirm(tx: Tx) -> str:
        row = (await tx.execute(select(link_codes).where(link_codes.c.code == code.strip()))).first()
        if row is None or row.expires_at <= now:
            raise UserError(
                "That code is unknown or expired. Ask for a new one from your other account: !whoami link"
            )
        await tx.execute(delete(link_codes).where(link_codes.c.code == row.code))  # single use
        other = row.account
        if other == ctx.sender.id:
            raise UserError("Confirm the code from your other account, not the one that asked for it.")
        mine = await people.person_of(ctx.app, tx, ctx.sender.id)
        theirs = await people.person_of(ctx.app, tx, other)
        if mine and theirs and mine != theirs:
            raise UserError(
                f"These accounts belong to different people (@{theirs}, @{mine}); nothing was linked."
            )
        # The code must come from the account already known: a linked account holds that person's
        # roles and rights everywhere, so a known person typing a code someone else asked for (talked
        # into it) must not hand their identity to that someone.
        person = theirs
        if person is None:
            raise UserError(
                "Ask for the code from the account that is already known (in the on-call config or "
                "linked), then confirm it here: !whoami link. If neither is, ask an admin to add you "
                "to oncall.people."
            )
        for account in (ctx.sender.id, other):
            if settings.person_of(account) is None:
                await tx.execute(delete(links).where(links.c.account == account))
                await tx.execute(insert(links).values(account=account, person=person, linked_at=now))
        return person

    person = await ctx.app.db.write(confirm)
    await ctx.reply(f"Linked: both accounts are @{person}; pages reach you on each.")


def severity(raw: str, ctx: CommandContext) -> int:
    text = raw.strip().lower().removeprefix("sev")
    if not text.isdigit():
        raise ValueError(f"not a severity: {raw!r} (use 1, 2, … or Sev2)")
    return int(text)


COMMANDS: list[Any] = [
    oncall,
    Command(
        "page",
        page,
        args=(Arg("target", metavar="schedule|policy|@user"), Arg("message", greedy=True)),
        options=(Option("--sev", severity, metavar="N"),),
        help="page a schedule, a policy or a person until someone acknowledges",
        example='!page platform "checkout 5xx above 5%" --sev 2',
        permission=PAGE,
    ),
    Command(
        "ack",
        ack,
        args=(Arg("page_id", _page_id, required=False, metavar="P-17"),),
        help="acknowledge a page (yours, the latest one, if none is named)",
        example="!ack P-17",
    ),
    Command(
        "whoami",
        whoami,
        args=(Arg("action", required=False, metavar="link"), Arg("code", required=False)),
        help="who chatops thinks you are; link another chat account",
        example="!whoami link",
    ),
]
