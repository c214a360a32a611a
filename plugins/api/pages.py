"""``POST /api/v1/pages/{page}/ack``: what ``!ack P-17`` does, for an integration.

The on-call plugin's own code decides (``paging.ack_refusal``) and acts
(``paging.acknowledge``, ``paging.show_acknowledged``): escalation stops,
the timeline records who acknowledged, and every message of the page says
so.  An integration given ``pages.ack`` may acknowledge any page, as an
admin may in chat; the page shows it as acknowledged by ``api:<name>``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web

from chatops.storage.db import Tx
from chatops.timefmt import iso_utc
from chatops.web import APP_KEY
from chatops_plugins.api.http import ApiError, Caller, endpoint
from chatops_plugins.oncall import paging

log = logging.getLogger("chatops.api")
PAGE_REF = r"^(?:[Pp]-)?[0-9]{1,9}$"


def record(page: paging.Page) -> dict[str, Any]:
    """A page as the API shows it (schemas.Page)."""
    return {
        "id": page.id,
        "ref": page.ref,
        "state": page.state,
        "message": page.message,
        "incident": f"INC-{page.incident_id}" if page.incident_id is not None else None,
        "acked_by": page.acked_by,
        "acked_at": iso_utc(page.acked_at),
    }


@endpoint("pages.ack")
async def acknowledge(request: web.Request, caller: Caller) -> web.Response:
    raw = request.match_info["page"]
    if not re.fullmatch(PAGE_REF, raw):
        raise ApiError(404, f"no page {raw!r} (use P-17 or 17)")
    number = int(re.sub(r"\D", "", raw))
    app = request.app[APP_KEY]
    actor = caller.actor

    async def write(tx: Tx) -> paging.Page:
        found = await paging.get(tx, number)
        if found is None:
            raise ApiError(404, f"no page P-{number}")
        refusal = paging.ack_refusal(found, app.tz, app.clock.now())
        if refusal is not None:
            raise ApiError(409, refusal)
        return await paging.acknowledge(tx, found, actor.id, actor)

    acked = await app.db.write(write)
    log.info("api: %s acknowledged %s", actor.id, acked.ref)
    await paging.show_acknowledged(app, acked)
    return web.json_response(record(acked))
