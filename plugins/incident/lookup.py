"""Finding the incident a command is about: ``--id``, or the room it was typed in."""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from sqlalchemy.ext.asyncio import AsyncConnection

from chatops.context import CommandContext, UserError
from chatops_plugins.incident import store
from chatops_plugins.incident.domain import Incident, SeverityScale, default_scale, parse_ref

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

_scales: WeakKeyDictionary[App, SeverityScale] = WeakKeyDictionary()


class _Index:
    """What never changes once stored: which room belongs to which incident, and
    whether an incident is private.  Safe to keep per process, even with replicas."""

    def __init__(self) -> None:
        self.by_room: dict[str, int] = {}
        self.private: dict[int, bool] = {}

    def learn(self, incident: Incident) -> None:
        self.private[incident.id] = incident.private
        if incident.room_id:
            self.by_room[incident.room_id] = incident.id


_indexes: WeakKeyDictionary[App, _Index] = WeakKeyDictionary()


def _index(app: App) -> _Index:
    index = _indexes.get(app)
    if index is None:
        index = _indexes[app] = _Index()
    return index


def scale_of(app: App) -> SeverityScale:
    """The severity scale in force (asked once per app through ``chatops_severity_scale``)."""
    scale = _scales.get(app)
    if scale is None:
        scale = app.hooks.call_first_sync("chatops_severity_scale", app=app) or default_scale()
        _scales[app] = scale
    return scale


def incident_id(raw: str, ctx: CommandContext) -> int:
    return parse_ref(raw)


def severity(raw: str, ctx: CommandContext) -> int:
    return scale_of(ctx.app).parse(raw).number


async def find(ctx: CommandContext, conn: AsyncConnection | Tx | None = None) -> Incident:
    """The incident named by ``--id`` or by the room; a clear refusal otherwise.

    Pass the write job's ``tx`` to look it up inside the transaction that
    changes it (no separate read).  A private incident is invisible to
    anyone but its participants and admins.
    """
    if conn is None:
        async with ctx.app.db.read() as read:
            return await _find(ctx, read)
    return await _find(ctx, conn)


async def _find(ctx: CommandContext, conn: AsyncConnection | Tx) -> Incident:
    wanted = ctx.args.get("id")
    if wanted is not None:
        incident = await store.get(conn, wanted)
    else:
        incident = await store.at(conn, ctx.place, ctx.app.bridges.rooms(ctx.room.id))
        if incident is None:
            open_refs = ", ".join(i.ref for i in await store.listing(conn) if not i.private) or "none"
            raise UserError(
                f"Which incident? Run this in the incident's room or add --id <number> (open: {open_refs})."
            )
    if incident is not None and incident.private and not ctx.is_admin:
        # any account of the person counts (the identity map): bridged rooms are on other platforms
        if not await ctx.app.dispatcher.accounts(ctx.sender) & await store.participants(conn, incident):
            if wanted is None:  # typed in the private incident's own room
                raise UserError(f"{incident.ref} is private: only its participants and admins can use it.")
            incident = None
    if incident is None:
        raise UserError(f"No incident INC-{wanted}. See !incident list")
    if isinstance(conn, AsyncConnection):
        _index(ctx.app).learn(incident)
    else:  # inside a write: learn only what is committed
        found = incident

        async def learn() -> None:
            _index(ctx.app).learn(found)

        conn.after_commit(learn)
    return incident


async def find_id(ctx: CommandContext, tx: Tx) -> int:
    """The incident's number only, for commands that just append to its timeline.

    Served from the per-process index when it can be (no query: one note is
    one INSERT); private incidents always take the full, checked lookup.
    """
    index = _index(ctx.app)
    wanted = ctx.args.get("id")
    number = wanted if wanted is not None else index.by_room.get(ctx.place)
    if number is not None and index.private.get(number) is False:
        return number
    return (await _find(ctx, tx)).id
