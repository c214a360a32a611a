"""``/api/v1/incidents``: list, read with the timeline, declare, post an update.

Declaring and updating go through the incident plugin's API
(``chatops_plugins.incident.api``), the same code ``!incident declare`` and
``!incident update`` run, so the rules, the timeline events and what chat
shows are the same; only the actor differs (``api:<integration>``).  A
private incident is visible to an integration only if it took part in it
(declared it, say), as in chat: to anyone else it does not exist (404).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from chatops.storage.db import Tx
from chatops.timefmt import iso_utc
from chatops.web import APP_KEY
from chatops_plugins.api.http import ApiError, Caller, body_of, endpoint
from chatops_plugins.api.schemas import DeclareRequest, UpdateRequest
from chatops_plugins.incident import api, lookup, rooms, store
from chatops_plugins.incident.domain import Incident, Refused, SeverityScale
from chatops_plugins.incident.export import event_record

log = logging.getLogger("chatops.api")
MAX_LIMIT = 500
INCIDENT_REF = r"^(?:[Ii][Nn][Cc]-?)?[0-9]{1,9}$"


def record(inc: Incident, roles: dict[str, Any], scale: SeverityScale) -> dict[str, Any]:
    """An incident as the API shows it (schemas.Incident)."""
    return {
        "id": inc.id,
        "ref": inc.ref,
        "title": inc.title,
        "severity": inc.severity,
        "severity_label": scale.label(inc.severity),
        "status": inc.status.value,
        "private": inc.private,
        "near_miss": inc.near_miss,
        "tags": list(inc.tags),
        "services": list(inc.services),
        "declared_at": iso_utc(inc.declared_at),
        "declared_by": inc.declared_by,
        "started_at": iso_utc(inc.started_at),
        "mitigated_at": iso_utc(inc.mitigated_at),
        "resolved_at": iso_utc(inc.resolved_at),
        "last_update_at": iso_utc(inc.last_update_at),
        "last_update": inc.last_update,
        "room": inc.room_name or None,
        "roles": {role: {"user": u.id, "name": u.name} for role, u in sorted(roles.items())},
    }


async def _shown(conn: AsyncConnection, inc: Incident, scale: SeverityScale) -> dict[str, Any]:
    return record(inc, await store.roles(conn, inc.id), scale)


def _number(request: web.Request) -> int:
    raw = request.match_info["incident"]
    if not re.fullmatch(INCIDENT_REF, raw):
        raise ApiError(404, f"no incident {raw!r} (use 42 or INC-42)")
    return int(re.sub(r"\D", "", raw))


async def _visible(conn: AsyncConnection | Tx, number: int, caller: Caller) -> Incident:
    """The incident, if it exists and the caller may see it (404 otherwise, alike)."""
    inc = await store.get(conn, number)
    if inc is None or not await api.visible_to(conn, inc, caller.actor.id, admin=False):
        raise ApiError(404, f"no incident INC-{number}")
    return inc


@endpoint("incidents.read")
async def list_incidents(request: web.Request, caller: Caller) -> web.Response:
    status = request.query.get("status", "open")
    if status not in ("open", "all"):
        raise ApiError(400, "status: use open or all")
    raw_limit = request.query.get("limit", "50")
    if not (raw_limit.isascii() and raw_limit.isdigit() and len(raw_limit) <= 4) or not (
        1 <= int(raw_limit) <= MAX_LIMIT
    ):
        raise ApiError(400, f"limit: use a whole number from 1 to {MAX_LIMIT}")
    limit = int(raw_limit)
    app = request.app[APP_KEY]
    scale = lookup.scale_of(app)
    shown: list[dict[str, Any]] = []
    async with app.db.read() as conn:
        for inc in reversed(await store.listing(conn, only_open=status == "open")):
            if len(shown) == limit:
                break
            if await api.visible_to(conn, inc, caller.actor.id, admin=False):
                shown.append(await _shown(conn, inc, scale))
    return web.json_response({"incidents": shown})


@endpoint("incidents.read")
async def read_incident(request: web.Request, caller: Caller) -> web.Response:
    number = _number(request)
    app = request.app[APP_KEY]
    async with app.db.read() as conn:
        inc = await _visible(conn, number, caller)
        shown = await _shown(conn, inc, lookup.scale_of(app))
        timeline = [event_record(event) for event in await store.timeline(conn, number)]
    return web.json_response({"incident": shown, "timeline": timeline})


@endpoint("incidents.declare")
async def declare(request: web.Request, caller: Caller) -> web.Response:
    wanted = await body_of(request, DeclareRequest)
    app = request.app[APP_KEY]
    scale = lookup.scale_of(app)
    try:
        api.check_title(app, wanted.title)
        if wanted.severity is None:
            severity = scale.default
        elif isinstance(wanted.severity, int):
            severity = scale.parse(str(wanted.severity)).number
        else:
            severity = scale.parse(wanted.severity).number
    except (Refused, ValueError) as exc:
        raise ApiError(400, str(exc)) from None
    try:
        tags = [api.clean_label(tag) for tag in wanted.tags]
        services = [api.clean_label(service) for service in wanted.services]
    except ValueError as exc:  # only white space, as Python reads it
        raise ApiError(400, f"tags and services: {exc}, not only white space") from None
    if wanted.started_at is not None and wanted.started_at > app.clock.now():
        raise ApiError(400, "started_at is in the future; use when impact began")
    actor = caller.actor

    async def write(tx: Tx) -> Incident:
        return await api.declare(
            tx,
            app,
            title=wanted.title,
            severity=severity,
            severity_confirmed=wanted.severity is not None,
            declarer=actor,
            origin_room_id=None,
            started_at=wanted.started_at,
            private=wanted.private,
            near_miss=wanted.near_miss,
            tags=tags,
            services=services,
            declarer_is_ic=False,  # an integration cannot command an incident; a person takes the role
        )

    inc = await app.db.write(write)
    log.info("api: %s declared %s", actor.id, inc.ref)
    inc = await rooms.open_room_by_id(app, inc.id, None) or inc
    async with app.db.read() as conn:
        shown = await _shown(conn, inc, scale)
    return web.json_response(shown, status=201, headers={"Location": f"/api/v1/incidents/{inc.id}"})


@endpoint("incidents.update")
async def post_update(request: web.Request, caller: Caller) -> web.Response:
    number = _number(request)
    wanted = await body_of(request, UpdateRequest)
    app = request.app[APP_KEY]
    actor = caller.actor

    async def write(tx: Tx) -> Incident:
        await _visible(tx, number, caller)
        try:
            return await api.post_update(tx, app, number, wanted.text, actor)
        except Refused as refused:
            raise ApiError(409, str(refused)) from None

    changed = await app.db.write(write)
    log.info("api: %s posted an update to %s", actor.id, changed.ref)
    await api.show_update(app, changed, wanted.text, actor.name, None)
    async with app.db.read() as conn:
        shown = await _shown(conn, changed, lookup.scale_of(app))
    return web.json_response(shown, status=201)
