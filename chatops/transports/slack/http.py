"""HTTP mode: Slack posts events, slash commands and interactions to the app's web server.

Every request is verified before it is read: the ``v0`` HMAC-SHA256 of
``v0:{timestamp}:{body}`` with the signing secret, and a timestamp within
five minutes (a replayed request is refused).  A verified request is
answered 200 at once and handled afterwards, inside Slack's 3 seconds
however long the command takes.  Redeliveries (``X-Slack-Retry-Num``) carry
the same event and are handled once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

if TYPE_CHECKING:
    from chatops.transports.slack.transport import SlackTransport

log = logging.getLogger("chatops.slack")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def routes(transport: SlackTransport) -> list[web.RouteDef]:
    secret = transport.settings.signing_secret
    assert secret is not None
    verifier = SignatureVerifier(secret.get_secret_value())
    base = transport.settings.path

    async def verified(request: web.Request) -> bytes | web.Response:
        body = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not timestamp or not signature:
            return web.Response(status=401, text="missing X-Slack-Signature or X-Slack-Request-Timestamp")
        try:
            valid = verifier.is_valid(body, timestamp, signature)
        except ValueError:  # a timestamp that is not a number
            valid = False
        if not valid:
            log.warning("refused a Slack request to %s: bad or stale signature", request.path)
            return web.Response(status=401, text="invalid signature or timestamp outside the 5-minute window")
        return body

    async def events(request: web.Request) -> web.Response:
        body = await verified(request)
        if isinstance(body, web.Response):
            return body
        try:
            payload = json.loads(body)
        except ValueError:
            return web.Response(status=400, text="the body is not JSON")
        if not isinstance(payload, dict):
            return web.Response(status=400, text="the body is not a JSON object")
        if payload.get("type") == "url_verification":
            return web.json_response({"challenge": payload.get("challenge", "")})
        if payload.get("type") == "event_callback":
            transport.accept("events_api", payload)
        return web.Response(status=200)

    async def commands(request: web.Request) -> web.Response:
        body = await verified(request)
        if isinstance(body, web.Response):
            return body
        transport.accept("slash_commands", dict(parse_qsl(body.decode("utf-8", "replace"))))
        return web.Response(status=200)

    async def interactions(request: web.Request) -> web.Response:
        body = await verified(request)
        if isinstance(body, web.Response):
            return body
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        try:
            payload: Any = json.loads(form.get("payload", ""))
        except ValueError:
            return web.Response(status=400, text="the payload field is not JSON")
        if not isinstance(payload, dict):
            return web.Response(status=400, text="the payload field is not a JSON object")
        transport.accept("interactive", payload)
        return web.Response(status=200)

    return [
        web.post(f"{base}/events", events),
        web.post(f"{base}/commands", commands),
        web.post(f"{base}/interactions", interactions),
    ]
