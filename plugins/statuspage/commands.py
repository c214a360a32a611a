"""``!statuspage draft|publish|show``: the Comms Lead writes for customers, separately from the room."""

from __future__ import annotations

from typing import Any

from chatops import Arg, CommandContext, CommandGroup, Option, Permission, UserError
from chatops import events as event_log
from chatops.models.content import Button, Buttons, Content, Text
from chatops.storage.db import Tx
from chatops_plugins.incident import lookup
from chatops_plugins.incident import store as incidents
from chatops_plugins.incident.commands import ID
from chatops_plugins.incident.events import stream_of
from chatops_plugins.statuspage import delivery, store
from chatops_plugins.statuspage.config import StatuspageConfig
from chatops_plugins.statuspage.domain import (
    COMPONENT_STATUSES,
    IMPACT_TO_COMPONENT,
    IMPACTS,
    STATUSES,
    Draft,
    Refused,
    check,
)
from chatops_plugins.statuspage.events import StatusPublished

WRITE = Permission("statuspage.draft", ("comms-lead", "ic", "admin"), "draft status page updates")
PUBLISH = Permission("statuspage.publish", ("comms-lead", "ic", "admin"), "publish to the status page")
SEVERITY_IMPACT = {1: "critical", 2: "major", 3: "minor", 4: "none"}

group = CommandGroup("statuspage", help="what customers read: drafted, previewed, published")


def settings(ctx: CommandContext) -> StatuspageConfig:
    found: StatuspageConfig = ctx.app.section("statuspage")
    return found


def choice(options: tuple[str, ...], what: str) -> Any:
    def convert(raw: str, ctx: CommandContext) -> str:
        value = raw.strip().lower().replace(" ", "_")
        if value not in options:
            raise ValueError(f"{what} {raw!r}: use one of {', '.join(options)}")
        return value

    return convert


def component_list(raw: str, ctx: CommandContext) -> list[str]:
    known = settings(ctx).component_ids()
    wanted = [c.strip() for c in raw.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise ValueError(
            f"unknown component(s) {unknown} (components: {', '.join(known) or 'none configured'})"
        )
    return wanted


def preview(draft: Draft, names: dict[str, str]) -> str:
    parts = [draft.status.capitalize(), f"{draft.impact} impact"]
    affected = ", ".join(f"{names.get(c, c)}: {s.replace('_', ' ')}" for c, s in draft.components.items())
    return f"[{' · '.join(parts)}{' · ' + affected if affected else ''}] {draft.body}"


@group.command(
    "draft",
    Arg("text", greedy=True, help="what customers should read"),
    Option(
        "--title",
        metavar="TEXT",
        help="the public title (needed the first time; the incident's stays internal)",
    ),
    Option("--components", component_list, metavar="a,b", help="affected components"),
    Option("--status", choice(STATUSES, "status"), metavar="|".join(STATUSES)),
    Option("--impact", choice(IMPACTS, "impact"), metavar="|".join(IMPACTS)),
    Option("--component-status", choice(COMPONENT_STATUSES, "component status"), metavar="STATUS"),
    ID,
    help="write the next public update (a preview; nothing is published)",
    example='!statuspage draft "Some payments fail; we are on it." --title "Checkout degraded"',
    permission=WRITE,
)
async def draft(
    ctx: CommandContext,
    text: str,
    title: str | None,
    components: list[str] | None,
    status: str | None,
    impact: str | None,
    component_status: str | None,
    id: int | None,
) -> None:
    incident = await lookup.find(ctx)
    async with ctx.app.db.read() as conn:
        public = await store.public_of(conn, incident.id)
    # What is not said carries over from what customers read now, not from an older draft.
    current_status = public.status if public is not None and public.status != "resolved" else "investigating"
    impact = impact or (
        public.impact if public is not None else SEVERITY_IMPACT.get(incident.severity, "minor")
    )
    state = component_status or IMPACT_TO_COMPONENT[impact]
    chosen = {c: state for c in components} if components is not None else {}
    new = Draft(text, status or current_status, impact, chosen, title)
    try:
        check(new, incident_status=str(incident.status), private=False, private_ok=True, first=public is None)
    except Refused as refused:
        raise UserError(str(refused)) from None
    await ctx.app.db.write(lambda tx: store.save_draft(tx, incident.id, new, ctx.sender.id, ctx.now))
    names = {c.id: c.name for c in settings(ctx).components}
    shown_title = title or (public.name if public is not None else "")
    publish_command = f"!statuspage publish --id {incident.id}"
    await ctx.reply(
        Content(
            (
                Text(
                    (
                        (
                            "🧪 Draft for the sandbox status page (a drill: never published for real):\n"
                            if incident.drill
                            else "Draft for the status page (not published yet):\n"
                        )
                        + f"“{shown_title}” {preview(new, names)}",
                    )
                ),
                Text((f"Publish it: {publish_command} (Comms Lead or IC)",)),
                Buttons(
                    (Button("Publish", f"statuspage.publish:{incident.id}", publish_command, "primary"),)
                ),
            )
        )
    )


@group.command(
    "publish",
    Option("--private-ok", is_flag=True, help="publish although the incident is private"),
    ID,
    help="publish the draft to the status page and its feeds",
    example="!statuspage publish",
    permission=PUBLISH,
)
async def publish(ctx: CommandContext, private_ok: bool, id: int | None) -> None:
    incident = await lookup.find(ctx)
    now = ctx.now

    async def write(tx: Tx) -> tuple[Draft, int]:
        current = await incidents.get(tx, incident.id)  # its status as of this write, not as of the command
        assert current is not None
        found = await store.draft_of(tx, incident.id)
        if found is None:
            raise UserError(
                'Nothing to publish: write it first with !statuspage draft "<text for customers>"'
            )
        public = await store.public_of(tx, incident.id)
        try:
            check(
                found,
                incident_status=str(current.status),
                private=current.private,
                private_ok=private_ok,
                first=public is None,
            )
        except Refused as refused:
            raise UserError(str(refused)) from None
        sandbox = current.drill  # a drill practises publishing: to the sandbox, never to customers
        public_id, components = await store.publish(
            tx, incident.id, found, ctx.sender.id, now, sandbox=sandbox
        )
        title = found.title or (public.name if public is not None else "")
        change = {
            "incident_id": incident.id,
            "status_incident_id": public_id,
            "kind": "incident",
            "name": title,
            "status": found.status,
            "impact": found.impact,
            "body": found.body,
            "components": components,
            "published_at": now.isoformat(),
        }
        if not sandbox:
            await delivery.queue(tx, ctx.app, change)
        text = f"{'[sandbox] ' if sandbox else ''}status page: {found.status} — {found.body}"
        event = StatusPublished(stream=stream_of(incident.id), at=now, actor=ctx.sender.id, text=text)
        await event_log.record(tx, event)
        return found, sandbox

    published, sandbox = await ctx.app.db.write(write)
    if sandbox:
        await ctx.reply(
            f"[sandbox] would publish: {published.status} — {published.body}\n"
            f"🧪 {incident.ref} is a drill: nothing went to the status page or its publishers "
            "(the sandbox page /status/sandbox shows it)."
        )
        return
    where = settings(ctx).public_url or "the status page"
    await ctx.reply(f"Published to {where}: {published.status} — {published.body}")


COMMANDS: list[Any] = [group]
