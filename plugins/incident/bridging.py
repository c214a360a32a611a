"""One incident, rooms on several platforms: the incident's room opened elsewhere and bridged.

The host's bridges (``app.bridges``) do the mirroring: whatever the bot says
in one room of a bridge it says in all, and what people type is copied
across with their name and platform.  This module decides which rooms an
incident gets (``--also``, ``!incident bridge``, the ``incident.bridge_rules``
of its severity and services), opens them, invites the incident's people
through their accounts on that platform (the identity map), and says so in
every room.  A refusal (bridging off, an encrypted room, Discord without the
message content intent) is a line in the answer, never a half-made bridge.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from chatops.context import CommandContext
from chatops.models.chat import MessageRef, User, transport_of
from chatops.storage.db import Tx
from chatops_plugins.incident import lookup, store
from chatops_plugins.incident.config import IncidentConfig
from chatops_plugins.incident.domain import Incident, Place
from chatops_plugins.incident.events import RoomBridged
from chatops_plugins.incident.render import status_content, topic
from chatops_plugins.incident.rooms import place_of, room_name_for

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.transports.base import Transport

log = logging.getLogger("chatops.incident")


def platforms(raw: str, ctx: CommandContext) -> list[str]:
    """``slack,discord`` -> ``["slack", "discord"]``: the names of configured transports."""
    names = list(dict.fromkeys(part.strip().lower() for part in raw.split(",") if part.strip()))
    if not names:
        raise ValueError("name the platforms, e.g. slack,discord")
    problem = unknown(ctx.app, names)
    if problem is not None:
        raise ValueError(problem.rstrip("."))
    return names


def by_rules(app: App, inc: Incident) -> list[str]:
    """The platforms ``incident.bridge_rules`` ask for, for the incident's severity and services."""
    settings: IncidentConfig = app.section("incident")
    wanted: list[str] = []
    for rule in settings.bridge_rules:
        if rule.severities and inc.severity not in rule.severities:
            continue
        if rule.services and not set(rule.services) & set(inc.services):
            continue
        wanted += [name for name in rule.also if name not in wanted]
    return wanted


async def apply_rules(app: App, inc: Incident, by: User | None) -> list[str]:
    """Bridge the incident where ``incident.bridge_rules`` ask and it has no room yet; lines to say."""
    wanted = by_rules(app, inc)
    if inc.room_id is not None:
        present = {transport_of(room) for room in app.bridges.rooms(inc.room_id)}
        wanted = [name for name in wanted if name not in present]
    if not wanted or place_of(inc) is not Place.ROOM:
        return []
    if not app.bridges.enabled:
        log.warning("incident.bridge_rules ask to bridge %s, but bridging.enabled is false", inc.ref)
        return []
    return await bridge(app, inc, wanted, by)


def unknown(app: App, names: Sequence[str]) -> str | None:
    """A refusal naming platforms this deployment does not run, or None."""
    missing = [name for name in names if name not in app.transports]
    if not missing:
        return None
    return f"No platform named {', '.join(missing)} here; configured: {', '.join(app.transports)}."


async def refusal(app: App, origin: str, names: Sequence[str]) -> str | None:
    """Why rooms on ``names`` may not be bridged with a room made from ``origin``, or None."""
    found = unknown(app, names)
    if found is not None:
        return found
    source = app.transports.get(transport_of(origin))
    encrypted = source is not None and await source.encrypted(origin)
    for name in names:
        reason = app.bridges.refusal(app.transports[name], encrypted)
        if reason is not None:
            return reason
    return None


async def bridge(app: App, inc: Incident, names: Sequence[str], by: User | None) -> list[str]:
    """Open the incident's room on each of ``names`` and bridge it; the lines that say what happened."""
    if not names:
        return []
    if inc.room_id is None or place_of(inc) is not Place.ROOM:
        where = "a thread" if place_of(inc) is Place.THREAD else "a record only"
        return [
            f"{inc.ref} is {where}, not a room of its own: raise its severity for a room "
            f"(!incident sev <level> --id {inc.id}), then !incident bridge {names[0]} --id {inc.id}."
        ]
    found = unknown(app, names)
    if found is not None:
        return [found]
    lines: list[str] = []
    opened = 0
    async with _lock(app, inc.id):  # two bridge commands at once: one room per platform, one bridge
        encrypted = any(await encryption(app, app.bridges.rooms(inc.room_id)))
        for name in names:
            line = await _bridge_one(app, inc, app.transports[name], encrypted, by)
            if line is None:
                opened += 1
            else:
                lines.append(line)
    if opened:
        everywhere = any(await encryption(app, app.bridges.rooms(inc.room_id)))
        await app.outbound.send(inc.room_id, await notice(app, inc, everywhere))
    return lines


_locks: WeakKeyDictionary[App, dict[int, asyncio.Lock]] = WeakKeyDictionary()


def _lock(app: App, incident_id: int) -> asyncio.Lock:
    """One bridging at a time per incident (per process: only the serving replica handles chat)."""
    return _locks.setdefault(app, {}).setdefault(incident_id, asyncio.Lock())


async def _bridge_one(
    app: App, inc: Incident, transport: Transport, encrypted: bool, by: User | None
) -> str | None:
    """One platform: None when its room is open and bridged, else the reason it is not."""
    assert inc.room_id is not None
    rooms = app.bridges.rooms(inc.room_id)
    if any(transport_of(room) == transport.name for room in rooms):
        return f"{inc.ref} already has a room on {transport.label}."
    reason = app.bridges.refusal(transport, encrypted)
    if reason is not None:
        return reason
    scale = lookup.scale_of(app)
    async with app.db.read() as conn:
        holders = await store.roles(conn, inc.id)
    people = [User(id=inc.declared_by, name=inc.declared_by), *holders.values(), *([by] if by else [])]
    invite = await accounts_on(app, people, transport.name)
    ic = holders.get("ic")
    try:
        room = await transport.create_room(
            room_name_for(app, inc),
            topic(inc, scale, ic.name if ic else None),
            private=inc.private,
            invite=invite,
            display_name=f"{inc.ref} · {inc.title}",
        )
    except Exception as exc:
        log.exception("opening %s's room on %s failed", inc.ref, transport.name)
        return (
            f"Couldn't open {inc.ref}'s room on {transport.label} ({exc}); "
            f"try again: !incident bridge {transport.name}"
        )
    if (
        not encrypted
        and not app.config.core.bridging.allow_unencrypted
        and await transport.encrypted(room.id)
        and not all(await encryption(app, rooms))
    ):
        return (
            f"{inc.ref}'s new {transport.label} room {room.name} is end-to-end encrypted and the others "
            "are not: I won't copy it into them, so it stays apart. An admin can allow it with "
            "`bridging: {allow_unencrypted: true}`."
        )
    for moderator in await accounts_on(app, [ic] if ic else [], transport.name):
        try:
            await transport.set_moderator(room.id, moderator, True)
        except Exception:
            log.exception("moderator rights in %s failed", room.id)
    # Its own status message first, sent before the room joins the bridge (it would be copied
    # everywhere); then remembered as a copy of the status, so that every edit reaches it.
    status = await app.outbound.send(room.id, await status_content(app, inc, scale, transport))
    if status is not None and transport.capabilities.pins:
        try:
            await transport.pin(status)
        except Exception:
            log.exception("pinning the status in %s failed", room.id)
    origin = inc.room_id

    async def write(tx: Tx) -> None:
        await app.bridges.link(tx, origin, room.id)
        if status is not None and inc.status_message_id:
            await app.bridges.record_copy(tx, MessageRef(room_id=origin, id=inc.status_message_id), status)
        await store.record(
            tx,
            RoomBridged.of(
                inc.id,
                app.clock.now(),
                by.id if by else inc.declared_by,
                room_id=room.id,
                room_name=room.name,
                platform=transport.label,
            ),
        )

    await app.db.write(write)
    return None


async def encryption(app: App, rooms: Sequence[str]) -> list[bool]:
    """Whether each of the rooms is end-to-end encrypted (a room of no running platform: not)."""
    found = []
    for room in rooms:
        transport = app.transports.get(transport_of(room))
        found.append(transport is not None and await transport.encrypted(room))
    return found


async def accounts_on(app: App, people: Sequence[User], transport: str) -> list[User]:
    """Each person's account on ``transport`` (themselves, or through the identity map), once."""
    found: dict[str, User] = {}
    for person in people:
        if person.transport == transport:
            found.setdefault(person.id, person)
            continue
        for part in await app.hooks.call("chatops_accounts", app=app, user=person):
            for account in part or []:
                if account.transport == transport:
                    found.setdefault(account.id, account)
    return list(found.values())


async def notice(app: App, inc: Incident, encrypted: bool) -> str:
    """What every room of the bridge says about it: where the others are, and what is copied."""
    assert inc.room_id is not None
    async with app.db.read() as conn:
        events = await store.timeline(conn, inc.id)
    names = {e.data()["room_id"]: e.data()["room_name"] for e in events if e.kind == "room_bridged"}
    names[inc.room_id] = inc.room_name
    where = " · ".join(
        f"{_label(app, room)} {names.get(room, room)}" for room in app.bridges.rooms(inc.room_id)
    )
    lines = [
        f"🔗 {inc.ref} is one conversation across {where}. What people write in one room is copied "
        "to the others with their name and platform; commands work in any of them and answer in all."
    ]
    if encrypted:
        lines.append(
            "⚠️ Some of these rooms are end-to-end encrypted and others are not: what is written in an "
            "encrypted one is copied to the others in plain text (allowed by bridging.allow_unencrypted)."
        )
    return "\n".join(lines)


def _label(app: App, room_id: str) -> str:
    transport = app.transports.get(transport_of(room_id))
    return transport.label if transport else transport_of(room_id)
