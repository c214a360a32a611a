"""The HTTP interactions endpoint: Discord posts interactions here instead of the gateway.

Every request is verified before it is read: an Ed25519 signature, by the
application's public key, of the timestamp followed by the body.  A
timestamp more than five minutes away is refused too, so a captured request
cannot be replayed.  The interaction's first answer (a modal, or "thinking…")
is the HTTP response, given within Discord's 3 seconds; the command is
handled afterwards.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from chatops.transports.discord import inbound

if TYPE_CHECKING:
    from chatops.transports.discord.transport import DiscordTransport

log = logging.getLogger("chatops.discord")
WINDOW_S = 300
FIRST_ANSWER_S = 2.5


def routes(transport: DiscordTransport) -> list[web.RouteDef]:
    assert transport.settings.public_key is not None
    key = VerifyKey(bytes.fromhex(transport.settings.public_key))

    async def interactions(request: web.Request) -> web.Response:
        body = await request.read()
        signature = request.headers.get("X-Signature-Ed25519", "")
        timestamp = request.headers.get("X-Signature-Timestamp", "")
        try:
            key.verify(timestamp.encode() + body, bytes.fromhex(signature))
            fresh = abs(time.time() - int(timestamp)) <= WINDOW_S
        except (BadSignatureError, ValueError):
            log.warning("refused a Discord interaction: bad signature")
            return web.Response(status=401, text="invalid request signature")
        if not fresh:
            return web.Response(status=401, text="timestamp outside the 5-minute window")
        try:
            payload: Any = json.loads(body)
            incoming = inbound.incoming(payload)
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400, text="not an interaction (JSON with id, token and type)")
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        written = asyncio.Event()

        async def respond(first: dict[str, Any]) -> None:
            """Hand the first answer to this request, and return once it is on the wire:
            the follow-ups that edit it must not overtake it."""
            if not answer.done():
                answer.set_result(first)
                await asyncio.wait_for(written.wait(), FIRST_ANSWER_S)

        transport.accept(incoming, respond)
        try:
            first = await asyncio.wait_for(asyncio.shield(answer), FIRST_ANSWER_S)
        except TimeoutError:
            log.error("no first answer for Discord interaction %s within %.1f s", incoming.id, FIRST_ANSWER_S)
            return web.Response(status=500, text="no answer in time")
        response = web.json_response(first)
        await response.prepare(request)
        await response.write_eof()
        written.set()
        return response

    return [web.post(f"{transport.settings.path}/interactions", interactions)]
