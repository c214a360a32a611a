"""The incident room: created on declare, its topic and live status message kept current.

Where the transport can edit and pin, the room has one status message,
pinned, that is edited in place on every change (instead of a stream of
repeated summaries); elsewhere ``!incident status`` shows it on request.
Everything here is cosmetic next to the stored incident: a platform
failure is logged and never fails the command that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import replace
from typing import TYPE_CHECKING

from chatops.context import CommandContext
from chatops.models.chat import MessageRef, User, transport_of
from chatops.storage.db import Tx
from chatops_plugins.incident import lookup, store
from chatops_plugins.incident.domain import Incident
from chatops_plugins.incident.events import RoomCreated
from chatops_plugins.incident.render import status_content, topic

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.transports.base import Transport

log = logging.getLogger("chatops.incident")


def transport_for(app: App, inc: Incident) -> Transport | None:
    return app.transports.get(transport_of(inc.room_id)) if inc.room_id else None


async def announce(ctx: CommandContext, inc: Incident, text: str) -> None:
    """Answer where the command was typed, and tell the incident room too."""
    await ctx.reply(text)
    if inc.room_id and inc.room_id != ctx.room.id:
        await ctx.app.outbound.send(inc.room_id, f"{text} (by @{ctx.sender.name})")


async def open_room(ctx: CommandContext, inc: Incident, ic_is_declarer: bool) -> Incident:
    """Create the room of an incident declared by a command (its sender is invited)."""
    return await open_room_for(ctx.app, ctx.transport, inc, ctx.sender, ic_is_declarer, ctx.room.id)


async def open_room_for(
    app: App,
    transport: Transport,
    inc: Incident,
    declarer: User | None,
    ic_is_declarer: bool,
    origin_room_id: str | None,
) -> Incident:
    """Create the room of a stored incident, post (and pin) its status, and remember both.

    The declarer (if a person) is invited, and made moderator when they are Incident Commander.
    """
    ic = declarer if ic_is_declarer else None
    scale = lookup.scale_of(app)
    try:
        room = await transport.create_room(
            inc.room_name,
            topic(inc, scale, ic.name if ic else None),
            private=inc.private,
            invite=[declarer] if declarer else [],
            display_name=f"{inc.ref} · {inc.title}",
            origin_room_id=origin_room_id,
        )
    except Exception:
        log.exception("creating the room for %s failed", inc.ref)
        return inc
    placed = replace(inc, room_id=room.id, room_name=room.name)
    if ic is not None:
        await _quietly(transport.set_moderator(room.id, ic, True), "moderator rights")
    status: MessageRef | None = await app.outbound.send(
        room.id, await status_content(app, placed, scale, transport)
    )
    if status is not None and transport.capabilities.pins:
        await _quietly(transport.pin(status), "pinning the status")
    if status is not None and transport.capabilities.edits:
        placed = replace(placed, status_message_id=status.id)

    async def write(tx: Tx) -> None:
        # Only the room's columns: the incident may have changed while the room was being made.
        await store.set_room(tx, inc.id, room.id, room.name, placed.status_message_id)
        await store.record(
            tx,
            RoomCreated.of(
                inc.id,
                app.clock.now(),
                inc.declared_by,
                room_id=room.id,
                room_name=room.name,
            ),
        )

    await app.db.write(write)
    return placed


async def open_room_by_id(app: App, incident_id: int, origin_room_id: str | None) -> Incident | None:
    """Create the room of an incident declared without a chat command (an alert, an API call).

    It opens on the transport of the room the declaration came from, else on the
    first transport; nobody is invited or made moderator (no person declared it).
    """
    async with app.db.read() as conn:
        inc = await store.get(conn, incident_id)
    transport = app.transports.get(transport_of(origin_room_id)) if origin_room_id else None
    transport = transport or next(iter(app.transports.values()), None)
    if inc is None or transport is None:
        return inc
    return await open_room_for(app, transport, inc, None, False, origin_room_id)


async def refresh(app: App, incident_id: int) -> None:
    """Bring the room's topic and live status message up to date with what is stored."""
    async with app.db.read() as conn:
        inc = await store.get(conn, incident_id)
        ic = (await store.roles(conn, incident_id)).get("ic") if inc else None
    transport = transport_for(app, inc) if inc else None
    if inc is None or inc.room_id is None or transport is None:
        return
    scale = lookup.scale_of(app)
    if transport.capabilities.topics:
        await _quietly(transport.set_topic(inc.room_id, topic(inc, scale, ic.name if ic else None)), "topic")
    if inc.status_message_id and transport.capabilities.edits:
        ref = MessageRef(room_id=inc.room_id, id=inc.status_message_id)
        await app.outbound.edit(ref, await status_content(app, inc, scale, transport))


async def _quietly(action: Awaitable[None], what: str) -> None:
    try:
        await action
    except Exception:
        log.exception("incident room: %s failed", what)
