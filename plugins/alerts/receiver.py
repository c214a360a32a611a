"""The webhook receivers: ``POST /alerts/<source>``, authenticated, bounded, answered once stored.

401 for a missing or wrong credential (or a signature outside its replay
window), 413 for a body over the source's limit, 400 with the reason for a
payload that cannot be read, 404 for an unknown source; 200 only after the
notification is stored, and 503 (which Alertmanager and Grafana retry) if
it could not be.  Neither the token nor the signature is logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import TYPE_CHECKING

from aiohttp import web

from chatops.clock import parse_duration
from chatops.web import APP_KEY
from chatops.webauth import bearer_matches, problem, raw_header, read_body
from chatops_plugins.alerts import actions
from chatops_plugins.alerts.config import SourceConfig
from chatops_plugins.alerts.formats import PayloadError, parse
from chatops_plugins.alerts.intake import Received, settings

if TYPE_CHECKING:
    from chatops.app import App

log = logging.getLogger("chatops.alerts")


def signature(secret: str, body: bytes, timestamp: str | None) -> str:
    """Hex HMAC-SHA256 of ``<timestamp>:<body>`` (or of the body alone), as Grafana signs."""
    signed = (timestamp.encode() + b":" + body) if timestamp else body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def authenticate(source: SourceConfig, request: web.Request, body: bytes, now: float) -> str | None:
    """Why the request is not from the source, or None when it is."""
    if source.token is not None:
        if bearer_matches(request, source.token):
            return None
        if source.hmac_secret is None:
            return "missing or wrong bearer token"
    assert source.hmac_secret is not None
    given_signature = request.headers.get(source.signature_header, "").strip().removeprefix("sha256=")
    if not given_signature:
        return f"missing {source.signature_header}"
    timestamp: str | None = None
    if source.timestamp_header:
        timestamp = request.headers.get(source.timestamp_header, "").strip()
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return f"missing or malformed {source.timestamp_header} (Unix seconds)"
        if abs(now - int(timestamp)) > parse_duration(source.replay_window).total_seconds():
            return f"{source.timestamp_header} is outside the {source.replay_window} replay window"
    expected = signature(source.hmac_secret.get_secret_value(), body, timestamp)
    if not hmac.compare_digest(raw_header(given_signature), expected.encode()):
        return "wrong signature"
    return None


async def receive(request: web.Request) -> web.Response:
    app: App = request.app[APP_KEY]
    config = settings(app)
    name = request.match_info["source"]
    source = config.sources.get(name)
    if source is None:
        return problem(404, f"no alert source {name!r} (configure alerts.sources.{name})")
    body = await read_body(request, source.max_body_kb * 1024)
    if body is None:
        return problem(
            413, f"the body is larger than {source.max_body_kb} KiB (alerts.sources.{name}.max_body_kb)"
        )
    refused = authenticate(source, request, body, time.time())
    if refused is not None:
        log.warning("alert source %s: refused a request from %s: %s", name, request.remote, refused)
        return problem(401, refused)
    try:
        decoded = json.loads(body)
    except ValueError:
        return problem(400, "the body is not JSON")
    try:
        notification = parse(source.format, decoded)
    except PayloadError as exc:
        return problem(400, f"not a valid {source.format} payload: {exc}")
    received = Received(name, notification, body.decode("utf-8", errors="replace"), app.clock.now())
    try:
        stored = await actions.intake_of(app).submit(received)
    except Exception:
        log.exception("alert source %s: storing a notification failed", name)
        return problem(503, "the notification could not be stored; send it again")  # senders retry 5xx
    return web.json_response({"stored": True, "groups": [f"A-{g}" for g in stored.groups]})


def routes() -> list[web.RouteDef]:
    return [web.post("/alerts/{source}", receive)]
