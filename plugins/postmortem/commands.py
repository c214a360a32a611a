"""Chat commands: ``!postmortem start|set|why|show|check|publish``, ``!action add|done|drop``,
``!actions``."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from chatops import Arg, CommandContext, CommandGroup, Option, Permission, UserError
from chatops import events as event_log
from chatops.commands.declare import Command
from chatops.hooks import PluginFailure
from chatops.models.chat import User
from chatops.storage.db import Tx
from chatops_plugins.incident import lookup
from chatops_plugins.incident import store as incident_store
from chatops_plugins.incident.commands import ID
from chatops_plugins.incident.domain import Status
from chatops_plugins.incident.events import stream_of
from chatops_plugins.incident.tables import incidents as incident_rows
from chatops_plugins.postmortem import export, render, rules, store
from chatops_plugins.postmortem.blameless import Checker, Finding
from chatops_plugins.postmortem.config import PostmortemConfig
from chatops_plugins.postmortem.document import SECTIONS, WRITTEN, Document
from chatops_plugins.postmortem.store import REMIND, remind_at
from chatops_plugins.postmortem.tables import action_item_links, action_items

WRITE = Permission("postmortem.write", ("anyone",), "write postmortems and add action items")
PUBLISH = Permission("postmortem.publish", ("ic", "admin"), "publish postmortems")
MAX_LEVELS = 12  # "how was this possible?" this many times is deep enough

postmortem = CommandGroup("postmortem", help="write and publish the incident's postmortem")
action_group = CommandGroup("action", help="action items: specific, owned, dated")


def settings(ctx: CommandContext) -> PostmortemConfig:
    found: PostmortemConfig = ctx.app.section("postmortem")
    return found


def checker(document: Document) -> Checker:
    """Known people: role holders and the people (not the bot's own actors) in the timeline."""
    names = [holder.lstrip("@") for _, holder in document.facts.roles]
    names += [entry.actor.lstrip("@") for entry in document.timeline if entry.human]
    return Checker(names)


def section_name(raw: str, ctx: CommandContext) -> str:
    name = raw.strip().lower().replace("_", "-")
    aliases = {
        "root": "root-cause",
        "rootcause": "root-cause",
        "cause": "root-cause",
        "well": "went-well",
        "what-went-well": "went-well",
        "contributing-factors": "contributing",
        "factors": "contributing",
    }
    name = aliases.get(name, name)
    if name not in SECTIONS:
        raise ValueError(f"no section {raw!r} (sections: {', '.join(WRITTEN)}; action items: !action add)")
    return name


async def _document(ctx: CommandContext) -> tuple[Any, Document]:
    incident = await lookup.find(ctx)
    async with ctx.app.db.read() as conn:
        return incident, await store.document(ctx.app, conn, incident)


def _questions(document: Document) -> list[str]:
    lines = []
    for name in document.missing():
        if name == "actions":
            lines.append("• Action items: !action add <specific change> --owner @person --due <date>")
        else:
            heading, question = SECTIONS[name]
            lines.append(f"• {heading}: {question} (!postmortem set {name} <text>)")
    return lines


@postmortem.command(
    "start",
    ID,
    help="start the postmortem draft (after mitigation)",
    permission=WRITE,
    example="!postmortem start",
)
async def start(ctx: CommandContext, id: int | None) -> None:
    incident = await lookup.find(ctx)
    if incident.status not in (Status.MITIGATED, Status.RESOLVED):
        raise UserError(
            f"{incident.ref} is {incident.status}: write the postmortem once it is mitigated "
            "(mitigate first, diagnose after). Then: !postmortem start"
        )
    now = ctx.now

    async def write(tx: Tx) -> bool:
        created = await store.start(tx, incident.id, ctx.sender.id, now)
        if created:
            text = f"postmortem draft started by @{ctx.sender.name}"
            event = store.PostmortemStarted(
                stream=stream_of(incident.id), at=now, actor=ctx.sender.id, text=text
            )
            await event_log.record(tx, event)
        return created

    created = await ctx.app.db.write(write)
    _, document = await _document(ctx)
    head = (
        f"Postmortem draft for {incident.ref} started" if created else f"{incident.ref} already has a draft"
    )
    lines = [f"{head}: {len(document.timeline)} timeline entries gathered."]
    questions = _questions(document)
    if questions:
        lines.append("Still to write:")
        lines += questions
    await ctx.reply("\n".join(lines))


async def _draft(tx: Tx, incident_id: int, ref: str) -> Any:
    row = await store.row_of(tx, incident_id)
    if row is None:
        raise UserError(f"{ref} has no postmortem yet: !postmortem start")
    return row


def _warn(findings: list[Finding]) -> str:
    return "\n".join(f"⚠️ {f.suggestion}" for f in findings)


@postmortem.command(
    "set",
    Arg("section", section_name),
    Arg("text", greedy=True),
    ID,
    permission=WRITE,
    help="write a section",
    example="!postmortem set impact 12% of checkouts failed for 34 min",
)
async def set_section(ctx: CommandContext, section: str, text: str, id: int | None) -> None:
    incident = await lookup.find(ctx)

    async def write(tx: Tx) -> None:
        row = await _draft(tx, incident.id, incident.ref)
        if section == "root-cause":
            await store.save(tx, incident.id, chain=[text], updated_at=ctx.now)
        else:
            await store.save(tx, incident.id, sections={**row.sections, section: text}, updated_at=ctx.now)

    await ctx.app.db.write(write)
    _, document = await _document(ctx)
    answer = f"{SECTIONS[section][0]} written."
    if section == "root-cause":
        answer += " Now ask how that was possible: !postmortem why <the deeper reason>"
    findings = checker(document).check(text)
    await ctx.reply(answer + ("\n" + _warn(findings) if findings else ""))


@postmortem.command(
    "why",
    Arg("text", greedy=True),
    ID,
    permission=WRITE,
    help="add a deeper level to the root cause: how was the last one possible?",
    example="!postmortem why the pool was sized for last year's traffic",
)
async def why(ctx: CommandContext, text: str, id: int | None) -> None:
    incident = await lookup.find(ctx)

    async def write(tx: Tx) -> int:
        row = await _draft(tx, incident.id, incident.ref)
        if len(row.chain) >= MAX_LEVELS:
            raise UserError(
                f"The root cause already has {MAX_LEVELS} levels; rewrite one: !postmortem set root-cause"
            )
        chain = [*row.chain, text]
        await store.save(tx, incident.id, chain=chain, updated_at=ctx.now)
        return len(chain)

    level = await ctx.app.db.write(write)
    _, document = await _document(ctx)
    findings = checker(document).check(text)
    answer = f"Root cause level {level} added. Still deeper? !postmortem why <text>"
    await ctx.reply(answer + ("\n" + _warn(findings) if findings else ""))


@postmortem.command("show", ID, help="the draft, as it would be published", example="!postmortem show")
async def show(ctx: CommandContext, id: int | None) -> None:
    incident, document = await _document(ctx)
    async with ctx.app.db.read() as conn:
        if await store.row_of(conn, incident.id) is None:
            raise UserError(f"{incident.ref} has no postmortem yet: !postmortem start")
    text = render.render(document, "markdown", ctx.tz, settings(ctx).templates_dir)
    questions = _questions(document)
    await ctx.reply(text + ("\n\nStill to write:\n" + "\n".join(questions) if questions else ""))


@postmortem.command("check", ID, help="look for sentences that blame a person", example="!postmortem check")
async def check(ctx: CommandContext, id: int | None) -> None:
    _, document = await _document(ctx)
    findings = [f for _, text in document.prose() for f in checker(document).check(text)]
    if not findings:
        await ctx.reply("No sentence makes a person the cause. 👍")
        return
    await ctx.reply(f"{len(findings)} sentence(s) to reframe toward the system:\n{_warn(findings)}")


@postmortem.command(
    "publish",
    ID,
    Option("--override", metavar="REASON", help="publish although sentences were flagged, saying why"),
    help="publish the postmortem (Markdown and HTML)",
    permission=PUBLISH,
    example="!postmortem publish",
)
async def publish(ctx: CommandContext, id: int | None, override: str | None) -> None:
    incident, document = await _document(ctx)
    async with ctx.app.db.read() as conn:
        if await store.row_of(conn, incident.id) is None:
            raise UserError(f"{incident.ref} has no postmortem yet: !postmortem start")
    missing = _questions(document)
    if missing:
        raise UserError("Not ready to publish; still to write:\n" + "\n".join(missing))
    findings = [f for _, text in document.prose() for f in checker(document).check(text)]
    if findings and not override:
        raise UserError(
            f"{len(findings)} sentence(s) make a person the cause:\n{_warn(findings)}\n"
            'Reframe them, or publish anyway: !postmortem publish --override "<why>"'
        )
    config = settings(ctx)
    documents = {fmt: render.render(document, fmt, ctx.tz, config.templates_dir) for fmt in config.formats}
    failures: list[PluginFailure] = []

    async def failed(failure: PluginFailure) -> None:
        failures.append(failure)

    places = await ctx.app.hooks.call(
        "chatops_postmortem_publish",
        on_failure=failed,
        app=ctx.app,
        incident_ref=incident.ref,
        documents=documents,
    )
    places = [str(place) for place in places]
    if not places:
        problems = "; ".join(f.describe() for f in failures) or "no publisher is enabled"
        raise UserError(f"{incident.ref} postmortem was not published: {problems}")
    now = ctx.now
    note = f" (blameless check overridden: {override})" if findings and override else ""

    async def write(tx: Tx) -> None:
        await store.save(
            tx,
            incident.id,
            status=store.PUBLISHED,
            published_at=now,
            published_by=ctx.sender.id,
            blame_override=override if findings else None,
            published_to=places,
        )
        text = f"postmortem published by @{ctx.sender.name}{note}"
        await event_log.record(
            tx,
            store.PostmortemPublished(stream=stream_of(incident.id), at=now, actor=ctx.sender.id, text=text),
        )

    await ctx.app.db.write(write)
    lines = [f"{incident.ref} postmortem published{note}: " + "; ".join(places)]
    lines += [f"⚠️ {failure.describe()}" for failure in failures]
    await ctx.reply("\n".join(lines))


# --- action items ---


def due_date(raw: str, ctx: CommandContext) -> date:
    """``2026-04-01``, ``2w``, ``10d`` (or ``"in 2w"``): a day, never in the past."""
    text = raw.strip().lower().removeprefix("in ").strip()
    today = ctx.now.astimezone(ctx.tz).date()
    try:
        relative = re.fullmatch(r"(\d{1,3})\s*([dw])", text)
        if relative:
            days = int(relative[1]) * (7 if relative[2] == "w" else 1)
            found = today + timedelta(days=days)
        else:
            found = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date: {raw!r} (use 2026-04-01, 10d or 2w)") from None
    if found < today:
        raise ValueError(f"{found.isoformat()} is in the past; action items are due in the future")
    if found > today + timedelta(days=730):
        raise ValueError(
            f"{found.isoformat()} is more than two years away; pick a nearer date or drop the item"
        )
    return found


def owner(raw: str, ctx: CommandContext) -> User:
    user = ctx.transport.resolve_mention(raw)
    if user is None:
        raise ValueError(f"{raw!r} is not a person: mention them, e.g. --owner @alice")
    return user


@action_group.command(
    "add",
    Arg("text", greedy=True, help="the specific change"),
    Option("--owner", owner, metavar="@person", help="who will do it (required)"),
    Option("--due", due_date, metavar="DATE", help="when: 2026-04-01, 10d or 2w (required)"),
    ID,
    help="add an action item to the incident",
    example="!action add Alert when checkout p99 is above 2 s for 5 min --owner @alice --due 2w",
    permission=WRITE,
)
async def add(ctx: CommandContext, text: str, owner: User | None, due: date | None, id: int | None) -> None:
    if owner is None or due is None:
        raise UserError(
            "An action item needs an owner and a due date: "
            "!action add <specific change> --owner @person --due <2026-04-01 | 2w>"
        )
    vague = rules.generic(text)
    if vague:
        raise UserError(f"{vague}. {rules.GUIDANCE}")
    incident = await lookup.find(ctx)
    config = settings(ctx)
    now = ctx.now

    async def write(tx: Tx) -> int:
        open_count = await tx.execute(
            select(func.count())
            .select_from(action_items)
            .where(action_items.c.incident_id == incident.id, action_items.c.status == store.OPEN)
        )
        if int(open_count.scalar_one()) >= config.max_open_actions:
            raise UserError(
                f"{incident.ref} already has {config.max_open_actions} open action items: prioritise. "
                "Finish or drop one (!action done AI-<n>, !action drop AI-<n> <reason>) "
                "before adding another."
            )
        result = await tx.execute(
            insert(action_items).values(
                incident_id=incident.id,
                text=text,
                owner_id=owner.id,
                owner_name=owner.name,
                due=due.isoformat(),
                status=store.OPEN,
                created_by=ctx.sender.id,
                created_at=now,
            )
        )
        item_id = int(result.inserted_primary_key[0])
        await ctx.app.scheduler.schedule(
            tx,
            kind=REMIND,
            key=store.reminder_key(item_id),
            due_at=remind_at(ctx.tz, due, config.remind_at),
            payload={"item_id": item_id},
        )
        line = f"action item AI-{item_id}: {text} (@{owner.name}, due {due.isoformat()})"
        event = store.ActionItemAdded(
            stream=stream_of(incident.id), at=now, actor=ctx.sender.id, item_id=item_id, text=line
        )
        await event_log.record(tx, event)
        if not incident.drill:  # a drill's action items stay here: practice never files real issues
            await export.queue(tx, ctx.app, item_id, ctx.place)  # to the team's tracker, if one is set up
        return item_id

    item_id = await ctx.app.db.write(write)
    await ctx.reply(f"AI-{item_id} added to {incident.ref}: {text} — @{owner.name}, due {due.isoformat()}.")


def item_id(raw: str, ctx: CommandContext) -> int:
    text = raw.strip().upper().removeprefix("AI-")
    if not text.isdigit() or len(text) > 9:
        raise ValueError(f"{raw!r} is not an action item (use AI-3 or 3)")
    return int(text)


async def _close(ctx: CommandContext, item: int, status: str, reason: str | None) -> Any:
    now = ctx.now

    async def write(tx: Tx) -> Any:
        row = (await tx.execute(select(action_items).where(action_items.c.id == item))).first()
        if row is None:
            raise UserError(f"There is no action item AI-{item}. See them: !actions")
        if row.status != store.OPEN:
            raise UserError(f"AI-{item} is already {row.status}.")
        if not ctx.is_admin and ctx.sender.id not in (row.owner_id, row.created_by):
            ic = (await incident_store.roles(tx, row.incident_id)).get("ic")
            if ic is None or ic.id != ctx.sender.id:
                raise UserError(
                    f"AI-{item} is @{row.owner_name}'s; only they, whoever added it, the Incident Commander "
                    f"of INC-{row.incident_id} or an admin can close it."
                )
        line = f"AI-{item} {status}" + (f": {reason}" if reason else "")
        await store.close(tx, row, status, by=ctx.sender.id, at=now, reason=reason, line=line)
        return row

    return await ctx.app.db.write(write)


@action_group.command(
    "done",
    Arg("item", item_id, metavar="AI-3"),
    help="mark an action item done",
    example="!action done AI-3",
    permission=WRITE,
)
async def done(ctx: CommandContext, item: int) -> None:
    row = await _close(ctx, item, store.DONE, None)
    await ctx.reply(f"AI-{item} done: {row.text}")


@action_group.command(
    "drop",
    Arg("item", item_id, metavar="AI-3"),
    Arg("reason", greedy=True),
    help="drop an action item, saying why",
    example="!action drop AI-3 superseded by AI-7",
    permission=WRITE,
)
async def drop(ctx: CommandContext, item: int, reason: str) -> None:
    await _close(ctx, item, store.DROPPED, reason)
    await ctx.reply(f"AI-{item} dropped: {reason}")


async def list_actions(ctx: CommandContext, which: str | None, number: str | None) -> None:
    visible = select(incident_rows.c.id).where(incident_rows.c.private.is_(False))
    query = (
        select(action_items)
        .where(action_items.c.status == store.OPEN, action_items.c.incident_id.in_(visible))
        .order_by(action_items.c.due)
    )
    today = ctx.now.astimezone(ctx.tz).date().isoformat()
    title = "Open action items"
    if which == "mine":
        query, title = query.where(action_items.c.owner_id == ctx.sender.id), "Your open action items"
    elif which == "overdue":
        query, title = query.where(action_items.c.due < today), "Overdue action items"
    elif which == "incident":
        if number is None:
            raise UserError("Which incident? !actions incident 42")
        try:
            incident_id = lookup.incident_id(number, ctx)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        query, title = (
            query.where(action_items.c.incident_id == incident_id),
            f"INC-{incident_id} action items",
        )
    elif which is not None:
        raise UserError("Use !actions, !actions mine, !actions overdue or !actions incident <N>.")
    async with ctx.app.db.read() as conn:
        rows = (await conn.execute(query)).all()
        linked = select(action_item_links).where(action_item_links.c.item_id.in_([r.id for r in rows]))
        links: dict[int, list[Any]] = {}
        for link in (await conn.execute(linked.order_by(action_item_links.c.exporter))).all():
            links.setdefault(link.item_id, []).append(link)
    if not rows:
        await ctx.reply(f"{title}: none.")
        return
    lines = [f"{title}:"]
    for row in rows:
        late = " ⏰ overdue" if row.due < today else ""
        lines.append(
            f"  AI-{row.id} (INC-{row.incident_id}) {row.text} — @{row.owner_name}, due {row.due}{late}"
        )
        lines += [f"    {link.ref}: {link.url}" for link in links.get(row.id, [])]
    await ctx.reply("\n".join(lines))


COMMANDS: list[Any] = [
    postmortem,
    action_group,
    Command(
        "actions",
        list_actions,
        args=(Arg("which", required=False, metavar="mine|overdue|incident"), Arg("number", required=False)),
        help="open action items across incidents",
        example="!actions overdue",
    ),
]
