"""Built-in plugin ``timeline``: ``!incident timeline`` — every domain event, in order.

Events are stored by the core's event log in the same transaction as the
change they describe (see ``chatops.events``); this plugin reads and
presents them, and observes nothing it does not own.  An incident's
timeline includes the events of duplicates merged into it, marked ``[INC-9]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from chatops import CommandContext, CommandGroup, hookimpl
from chatops.events import DomainEvent, kind_of
from chatops.models.chat import transport_of
from chatops.timefmt import local_time
from chatops_plugins.incident import links, lookup
from chatops_plugins.incident.commands import ID
from chatops_plugins.incident.domain import SeverityScale

if TYPE_CHECKING:
    from chatops.app import App

group = CommandGroup("incident")


def who(app: App, actor: str, several_platforms: bool) -> str:
    """``@bob``, with the platform the event came from (``@bob (Slack)``) when an incident spans several."""
    name = "@" + actor.split(":", 1)[-1]
    if not several_platforms or ":" not in actor:
        return name  # one platform, or the bot's own actors (alerts, oncall)
    transport = app.transports.get(transport_of(actor))
    return f"{name} ({transport.label if transport else transport_of(actor)})"


def several_platforms(actors: Iterable[str]) -> bool:
    """Whether people acted from more than one platform (a bridged incident)."""
    return len({transport_of(a) for a in actors if ":" in a}) > 1


def describe(event: DomainEvent, scale: SeverityScale) -> str:
    """One line of the timeline, in the words the rest of the bot uses."""
    data: dict[str, Any] = event.data()
    text = data.get("text")
    kind = kind_of(event)
    if kind == "incident_declared":
        line = f'declared "{data["title"]}" · {scale.label(data["severity"])}'
        return line + (" (near-miss)" if data.get("near_miss") else "")
    if kind == "severity_changed":
        line = f"severity {scale.label(data['from_severity'])} → {scale.label(data['to_severity'])}"
        return line + (f": {text}" if text else "")
    if kind == "role_assigned":
        holder = f"@{data['user_name']}" if data.get("user_id") else "nobody"
        return f"{data.get('role_label') or data['role']} → {holder}"
    if kind == "status_changed":
        line = f"{data['from_status']} → {data['to_status']}"
        if data.get("forced"):
            return line + f" (forced: {text})"
        return line + (f": {text}" if text else "")
    if kind == "update_posted":
        return f"update: {text}"
    if kind == "note_added":
        return f"note: {text}"
    if kind == "hypothesis_set":
        return f"hypothesis: {text}"
    if kind == "tag_added":
        return f"tag {data['tag']}"
    if kind == "service_added":
        return f"service {data['service']}"
    if kind == "room_created":
        return f"{data['room_name']} opened" if data.get("thread") else f"room {data['room_name']} opened"
    if kind == "room_bridged":
        return f"room {data['room_name']} opened on {data['platform']}, bridged"
    if kind == "incident_linked":
        return f"related to INC-{data['other_id']}"
    if kind == "incident_unlinked":
        return f"no longer related to INC-{data['other_id']}"
    if kind == "merged_into":
        return f"merged into INC-{data['other_id']} as a duplicate"
    if kind == "duplicate_merged":
        return f"INC-{data['other_id']} merged in as a duplicate"
    return f"{kind}" + (f": {text}" if text else "")


@group.command("timeline", ID, help="everything that happened, in order", example="!incident timeline")
async def timeline(ctx: CommandContext, id: int | None) -> None:
    inc = await lookup.find(ctx)
    scale = lookup.scale_of(ctx.app)
    async with ctx.app.db.read() as conn:
        entries = await links.merged_timeline(conn, inc.id)  # with merged duplicates' events
    now = ctx.now
    lines = [f"{inc.ref} timeline ({ctx.app.config.core.timezone}):"]
    several = several_platforms(event.actor for _, event in entries)
    for source, event in entries:
        mark = "" if source == inc.id else f"[INC-{source}] "
        at = local_time(event.at, ctx.tz, now)
        lines.append(f"{at}  {who(ctx.app, event.actor, several)}  {mark}{describe(event, scale)}")
    await ctx.reply("\n".join(lines))


@hookimpl
def chatops_commands() -> list[CommandGroup]:
    return [group]
