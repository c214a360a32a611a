"""Built-in plugin ``incident_duplicates``: ``!incident link``, ``unlink`` and ``merge``.

- ``!incident link INC-7``: the two incidents are related; both timelines
  record it and both statuses show ``Related: …``.
- ``!incident merge INC-7``, typed in the duplicate's room: the duplicate is
  resolved with the reason ``duplicate of INC-7`` and points to INC-7; INC-7's
  status lists ``Merged: …`` and its timeline shows the duplicate's events,
  each marked ``[INC-9]``.  Metrics count the two as one incident.

Who may merge: the ``incident.merge`` permission, by default the Incident
Commander or an admin, checked on both incidents (the duplicate's and the
survivor's).  The rules are pure (``relations``); the rows and events are in
``links``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from chatops import Arg, CommandContext, CommandGroup, Permission, UserError, hookimpl
from chatops.storage.db import Tx
from chatops_plugins.incident import api, links, lookup, relations, rooms, store
from chatops_plugins.incident.commands import ID
from chatops_plugins.incident.domain import Incident, Place, Refused
from chatops_plugins.incident.events import StatusChanged
from chatops_plugins.incident.rooms import announce

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from chatops.app import App

group = CommandGroup("incident")

LINK = Permission("incident.link", ("anyone",), "link or unlink related incidents")
MERGE = Permission("incident.merge", ("ic", "admin"), "merge duplicates (on both incidents)")

OTHER = Arg("other", lookup.incident_id, help="the other incident (7 or INC-7)")


async def _other(ctx: CommandContext, conn: AsyncConnection | Tx, number: int) -> Incident:
    """The incident named in the command, if the sender may see it (same answer as ``--id`` otherwise)."""
    found = await store.get(conn, number)
    if found is None or not await api.visible_to(conn, found, ctx.sender.id, ctx.is_admin):
        raise UserError(f"No incident INC-{number}. See !incident list")
    return found


async def _refresh(app: App, *incidents: Incident) -> None:
    for inc in incidents:
        await rooms.refresh(app, inc.id)


async def _tell(ctx: CommandContext, inc: Incident, text: str) -> None:
    """Tell an incident's room (unless the command was typed there)."""
    if inc.room_id and not ctx.sees(inc.room_id):
        await ctx.app.outbound.send(inc.room_id, f"{text} (by @{ctx.sender.name})")


@group.command(
    "link",
    OTHER,
    ID,
    help="record that another incident is related (both statuses and timelines show it)",
    example="!incident link INC-7",
    permission=LINK,
)
async def link(ctx: CommandContext, other: int, id: int | None) -> None:
    await _relate(ctx, other, relations.check_link, links.link, "is now related to")


@group.command(
    "unlink",
    OTHER,
    ID,
    help="the other incident is not related after all",
    example="!incident unlink INC-7",
    permission=LINK,
)
async def unlink(ctx: CommandContext, other: int, id: int | None) -> None:
    await _relate(ctx, other, relations.check_unlink, links.unlink, "is no longer related to")


async def _relate(
    ctx: CommandContext,
    other: int,
    check: Callable[[Incident, Incident, Any], None],
    change: Callable[..., Awaitable[Any]],
    said: str,
) -> None:
    """Link or unlink this incident and ``other``: checked, stored in both, told in both rooms."""
    inc = await lookup.find(ctx)
    now = ctx.now

    async def write(tx: Tx) -> Incident:
        current = await store.get(tx, inc.id)
        assert current is not None
        found = await _other(ctx, tx, other)
        try:
            check(current, found, await links.relations(tx, current.id))
        except Refused as refused:
            raise UserError(str(refused)) from None
        await change(tx, current.id, found.id, now, ctx.sender.id)
        return found

    found = await ctx.app.db.write(write)
    await _refresh(ctx.app, inc, found)
    await announce(ctx, inc, f"{inc.ref} {said} {found.ref}.")
    await _tell(ctx, found, f"{found.ref} {said} {inc.ref}.")


async def _require_merge_on(ctx: CommandContext, duplicate: Incident, survivor: Incident) -> None:
    """The merge permission, checked on the survivor too (the dispatcher checked the duplicate)."""
    there = CommandContext(ctx.app, ctx.message, ctx.transport, ctx.command)
    there.args = {**ctx.args, "id": survivor.id}
    refusal = await ctx.app.dispatcher.refusal(there, MERGE)
    if refusal is None:
        return
    async with ctx.app.db.read() as conn:
        commander = (await store.roles(conn, survivor.id)).get("ic")
    name = f"@{commander.name}" if commander else "@name"
    raise UserError(
        f"Can't merge into {survivor.ref}: {refusal[0].lower()}{refusal[1:]} "
        f"Hand {duplicate.ref} to {survivor.ref}'s commander first "
        f"(!incident role ic {name} --id {duplicate.id}), then {name} can merge it."
    )


@group.command(
    "merge",
    OTHER,
    ID,
    help="this incident duplicates another: resolve it, pointing there; its timeline joins the other's",
    example="!incident merge INC-7",
    permission=MERGE,
)
async def merge(ctx: CommandContext, other: int, id: int | None) -> None:
    duplicate = await lookup.find(ctx)
    async with ctx.app.db.read() as conn:
        survivor = await _other(ctx, conn, other)
    if survivor.id != duplicate.id:
        await _require_merge_on(ctx, duplicate, survivor)
    scale = lookup.scale_of(ctx.app)
    now = ctx.now
    actor = ctx.sender.id

    async def write(tx: Tx) -> tuple[Incident, Incident]:
        current = await store.get(tx, duplicate.id)
        target = await store.get(tx, survivor.id)
        assert current is not None and target is not None
        try:
            relations.check_merge(
                current,
                target,
                await links.relations(tx, current.id),
                await links.merged_into_chain(tx, target.id),
                ctx.is_admin,
            )
        except Refused as refused:
            raise UserError(str(refused)) from None
        reason = relations.duplicate_reason(target)
        await links.mark_merged(tx, current.id, target.id, now, actor)
        closed = relations.close_as_duplicate(current, target, now, scale)
        if closed.status != current.status:
            await store.save(tx, closed)
            await store.record(
                tx,
                StatusChanged.of(
                    current.id,
                    now,
                    actor,
                    from_status=current.status.value,
                    to_status=closed.status.value,
                    text=reason,
                ),
            )
        await store.record(tx, links.MergedInto.of(current.id, now, actor, other_id=target.id, text=reason))
        await store.record(tx, links.DuplicateMerged.of(target.id, now, actor, other_id=current.id))
        return closed, target

    closed, target = await ctx.app.db.write(write)
    await _refresh(ctx.app, closed, target)
    await _point_topic(ctx.app, closed, target)
    where = target.room_name or f"!incident status --id {target.id}"
    text = f"{closed.ref} is resolved as a duplicate of {target.ref}. Follow it in {where}."
    await announce(ctx, closed, text)
    await _tell(
        ctx,
        target,
        f"{closed.ref} was merged into {target.ref} as a duplicate; its events are in this timeline now.",
    )


async def _point_topic(app: App, duplicate: Incident, survivor: Incident) -> None:
    """The duplicate's room topic says where the work goes on (cosmetic: a failure is only logged)."""
    transport = rooms.transport_for(app, duplicate)
    room = duplicate.room_id if rooms.place_of(duplicate) is Place.ROOM else None  # threads have no topic
    if room is None or transport is None or not transport.capabilities.topics:
        return
    pointer = survivor.room_name or survivor.ref
    text = f"{duplicate.ref} · resolved · duplicate of {survivor.ref} → {pointer} · {duplicate.title}"
    try:
        await transport.set_topic(room, text)
    except Exception:
        rooms.log.exception("incident room: topic failed")


async def status_lines(app: App, incident: Incident) -> list[str]:
    async with app.db.read() as conn:
        found = await links.relations(conn, incident.id)
        target = await store.get(conn, found.duplicate_of) if found.duplicate_of is not None else None
    lines: list[str] = []
    if target is not None:
        follow = f" · follow it in {target.room_name}" if target.room_name else ""
        lines.append(f"Duplicate of {target.ref} (merged){follow}")
    if found.related:
        lines.append("Related: " + ", ".join(relations.ref(n) for n in found.related))
    if found.merged:
        lines.append("Merged: " + ", ".join(relations.ref(n) for n in found.merged))
    return lines


@hookimpl
async def chatops_incident_status_lines(app: App, incident: Incident) -> list[str] | None:
    return await status_lines(app, incident) or None


@hookimpl
def chatops_commands() -> list[CommandGroup]:
    return [group]
