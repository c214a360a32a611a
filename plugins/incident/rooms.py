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
from weakref import WeakKeyDictionary

from chatops.context import CommandContext
from chatops.models.chat import (
    MessageRef,
    ThreadRef,
    User,
    is_thread_address,
    split_address,
    thread_address,
    transport_of,
)
from chatops.storage.db import Tx
from chatops.transports.base import slugify
from chatops_plugins.incident import lookup, store
from chatops_plugins.incident.config import IncidentConfig
from chatops_plugins.incident.domain import Incident, Place
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
    if inc.room_id and not ctx.sees(inc.room_id):
        await ctx.app.outbound.send(inc.room_id, f"{text} (by @{ctx.sender.name})")


async def open_room(
    ctx: CommandContext, inc: Incident, ic_is_declarer: bool, own_room: bool = False
) -> Incident:
    """Open the place of an incident declared by a command (its sender is invited to a room).

    ``own_room``: a room whatever the severity asks for (one to bridge to other platforms).
    """
    return await open_place_for(
        ctx.app,
        ctx.transport,
        inc,
        [ctx.sender],
        ctx.sender if ic_is_declarer else None,
        ctx.place,
        ctx.room.name,
        own_room=own_room,
    )


def place_of(inc: Incident) -> Place:
    """Where the incident is worked now: its own room, a thread, or nowhere yet."""
    if inc.room_id is None:
        return Place.NONE
    return Place.THREAD if is_thread_address(inc.room_id) else Place.ROOM


def wanted_place(app: App, transport: Transport, inc: Incident, origin: str | None) -> Place:
    """The place the incident's severity asks for, on what this transport can do.

    A thread needs a platform with threads and a channel to start it in (a
    declaration typed inside a thread, or made by an alert with no room, gets
    a room instead): a thread that cannot be made is never a reason for less.
    """
    wanted = lookup.scale_of(app).process(inc.severity).place
    if wanted is Place.THREAD:
        channel = origin if origin is not None and not is_thread_address(origin) else None
        if not (transport.capabilities.threads and channel and transport_of(channel) == transport.name):
            return Place.ROOM
    return wanted


async def open_place_for(
    app: App,
    transport: Transport,
    inc: Incident,
    invite: list[User],
    ic: User | None,
    origin: str | None,
    origin_name: str | None = None,
    *,
    own_room: bool = False,
) -> Incident:
    """Give a stored incident the place its severity asks for: a room, a thread, or none (record only).

    While it is being made, a severity change leaves the place alone (it
    would make a second one); the place is checked against the severity
    again once made, and upgraded then if the severity asks for more.
    """
    opening = _opening.setdefault(app, set())
    if inc.id in opening:
        return inc
    opening.add(inc.id)
    try:
        if own_room:
            placed = await _open_room(app, transport, inc, invite, ic, origin)
        else:
            placed = await _open_place(app, transport, inc, invite, ic, origin, origin_name)
    finally:
        opening.discard(inc.id)
    async with app.db.read() as conn:
        latest = await store.get(conn, inc.id)
    if latest is None or latest.severity == inc.severity:
        return placed
    latest = replace(latest, room_id=placed.room_id, room_name=placed.room_name)
    return await _upgrade(app, transport, latest, invite, ic, origin_name)


_opening: WeakKeyDictionary[App, set[int]] = WeakKeyDictionary()


async def _open_place(
    app: App,
    transport: Transport,
    inc: Incident,
    invite: list[User],
    ic: User | None,
    origin: str | None,
    origin_name: str | None,
) -> Incident:
    place = wanted_place(app, transport, inc, origin)
    if place is Place.NONE:
        return inc
    if place is Place.THREAD:
        assert origin is not None
        return await _open_thread(app, transport, inc, origin, origin_name)
    return await _open_room(app, transport, inc, invite, ic, origin)


async def _open_room(
    app: App,
    transport: Transport,
    inc: Incident,
    invite: list[User],
    ic: User | None,
    origin: str | None,
) -> Incident:
    """Create the incident's room, post (and pin) its status, and remember both.

    Everyone in ``invite`` is invited; ``ic`` is made moderator.
    """
    scale = lookup.scale_of(app)
    name = room_name_for(app, inc)
    try:
        room = await transport.create_room(
            name,
            topic(inc, scale, ic.name if ic else None),
            private=inc.private,
            invite=invite,
            display_name=f"{inc.ref} · {inc.title}",
            origin_room_id=split_address(origin)[0] if origin else None,
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
    return await _remember(app, inc, placed, status, transport)


async def _open_thread(
    app: App, transport: Transport, inc: Incident, channel: str, channel_name: str | None
) -> Incident:
    """Start the incident's thread in the channel it was declared in: its status is the thread's root."""
    scale = lookup.scale_of(app)
    named = replace(inc, room_name=f"a thread in {channel_name}" if channel_name else "a thread")
    content = await status_content(app, named, scale, transport)
    status = await app.outbound.send(channel, content, keep=False)  # later, it would root nothing
    if status is None:
        log.error("starting the thread of %s failed; `!incident sev <its severity>` tries again", inc.ref)
        return inc
    address = thread_address(ThreadRef(room_id=status.room_id, id=status.id))
    placed = replace(named, room_id=address)
    return await _remember(app, inc, placed, status, transport)


async def _remember(
    app: App, inc: Incident, placed: Incident, status: MessageRef | None, transport: Transport
) -> Incident:
    """Store the new place (only its columns: the incident may have changed meanwhile) and record it."""
    if status is not None and transport.capabilities.edits:
        placed = replace(placed, status_message_id=status.id)
    assert placed.room_id is not None
    room_id, room_name = placed.room_id, placed.room_name

    async def write(tx: Tx) -> None:
        await store.set_room(tx, inc.id, room_id, room_name, placed.status_message_id)
        await store.record(
            tx,
            RoomCreated.of(
                inc.id,
                app.clock.now(),
                inc.declared_by,
                room_id=room_id,
                room_name=room_name,
                thread=is_thread_address(room_id),
            ),
        )

    await app.db.write(write)
    return placed


async def open_room_by_id(app: App, incident_id: int, origin_room_id: str | None) -> Incident | None:
    """Open the place of an incident declared without a chat command (an alert, an API call).

    It opens on the transport of the room the declaration came from, else on the
    first transport; nobody is invited or made moderator (no person declared it).
    """
    async with app.db.read() as conn:
        inc = await store.get(conn, incident_id)
    transport = app.transports.get(transport_of(origin_room_id)) if origin_room_id else None
    transport = transport or next(iter(app.transports.values()), None)
    if inc is None or transport is None:
        return inc
    placed = await open_place_for(app, transport, inc, [], None, origin_room_id)
    from chatops_plugins.incident import bridging  # it builds on this module

    await bridging.apply_rules(app, placed, None)
    return placed


async def upgrade(ctx: CommandContext, inc: Incident) -> Incident:
    """After a severity change: give the incident the heavier place its new severity asks for.

    A record gets a thread or a room, a thread gets a room (the thread is told
    where to go).  Lowering never takes a place away.  The person who raised
    it and the role holders are invited; the IC is made moderator.
    """
    async with ctx.app.db.read() as conn:
        holders = await store.roles(conn, inc.id)
    transport = transport_for(ctx.app, inc) or ctx.transport
    people = {u.id: u for u in [ctx.sender, *holders.values()] if u.transport == transport.name}
    name = ctx.room.name if inc.origin_room_id == ctx.room.id else None
    return await _upgrade(ctx.app, transport, inc, list(people.values()), holders.get("ic"), name)


async def _upgrade(
    app: App,
    transport: Transport,
    inc: Incident,
    invite: list[User],
    ic: User | None,
    origin_name: str | None,
) -> Incident:
    current = place_of(inc)
    # A thread's channel is where a room is asked for from; a record's, where it was declared.
    thread_channel = split_address(inc.room_id)[0] if inc.room_id and current is Place.THREAD else None
    origin = thread_channel or inc.origin_room_id
    if inc.id in _opening.get(app, set()):
        return inc  # the declaration is still making its place; it checks the severity after
    if wanted_place(app, transport, inc, origin).weight <= current.weight:
        return inc
    upgraded = await open_place_for(app, transport, inc, invite, ic, origin, origin_name)
    if current is Place.THREAD and upgraded.room_id != inc.room_id and inc.room_id:
        await app.outbound.send(inc.room_id, f"{inc.ref} now has its own room: {upgraded.room_name}")
    return upgraded


def lacks_place(ctx: CommandContext, inc: Incident) -> bool:
    """Whether the incident has less of a place than its severity asks for (its making failed)."""
    transport = transport_for(ctx.app, inc) or ctx.transport
    origin = split_address(inc.room_id)[0] if inc.room_id else inc.origin_room_id
    return wanted_place(ctx.app, transport, inc, origin).weight > place_of(inc).weight


def place_line(app: App, inc: Incident) -> str:
    """Where to follow the incident, as the declaration's answer says it."""
    if inc.room_id:
        return f"Room: {inc.room_name}"
    scale = lookup.scale_of(app)
    if scale.process(inc.severity).place is Place.NONE:
        return (
            f"Room: none — {scale.label(inc.severity)} is a record only; use --id {inc.id}, "
            f"or raise the severity for a room (!incident sev <level> --id {inc.id})"
        )
    return f"Room: not created (see the log); use --id {inc.id}"


def room_name_for(app: App, inc: Incident) -> str:
    """The name of the incident's room: ``<prefix>-<number>-<title slug>``."""
    settings: IncidentConfig = app.section("incident")
    return f"{settings.room_prefix}-{inc.id}-{slugify(inc.title)}"


async def refresh(app: App, incident_id: int) -> None:
    """Bring the room's topic and live status message up to date with what is stored."""
    async with app.db.read() as conn:
        inc = await store.get(conn, incident_id)
        ic = (await store.roles(conn, incident_id)).get("ic") if inc else None
    transport = transport_for(app, inc) if inc else None
    if inc is None or inc.room_id is None or transport is None:
        return
    scale = lookup.scale_of(app)
    if place_of(inc) is Place.ROOM:
        for room_id in app.bridges.rooms(inc.room_id):  # and the rooms bridged with it
            there = app.transports.get(transport_of(room_id))
            if there is not None and there.capabilities.topics:
                await _quietly(there.set_topic(room_id, topic(inc, scale, ic.name if ic else None)), "topic")
    if inc.status_message_id:
        ref = MessageRef(room_id=inc.room_id, id=inc.status_message_id)
        # Each copy in a bridged room is rendered for its own platform (buttons only where they exist).
        for copy in [ref, *await app.bridges.copies_of(ref)]:
            there = app.transports.get(transport_of(copy.room_id))
            if there is not None:
                await app.outbound.edit(copy, await status_content(app, inc, scale, there), alone=True)


async def _quietly(action: Awaitable[None], what: str) -> None:
    try:
        await action
    except Exception:
        log.exception("incident room: %s failed", what)
