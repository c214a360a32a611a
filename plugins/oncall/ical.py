"""Each schedule as an iCal feed, behind an unguessable URL.

``GET /oncall/<schedule>.ics?token=<t>`` where ``t`` is an HMAC of the
schedule's name with ``oncall.ical_secret``: anyone with the link can read
the feed (calendar apps cannot log in), nobody can guess it, and changing
the secret revokes every link.  Without a secret there are no feeds.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from chatops.web import APP_KEY
from chatops_plugins.oncall import people
from chatops_plugins.oncall.config import OncallConfig
from chatops_plugins.oncall.schedule import Segment

if TYPE_CHECKING:
    from chatops.app import App

PAST, AHEAD = timedelta(days=7), timedelta(days=56)


def token(secret: str, schedule: str) -> str:
    return hmac.new(secret.encode(), f"oncall-ical:{schedule}".encode(), hashlib.sha256).hexdigest()[:32]


def url(config: OncallConfig, schedule: str) -> str | None:
    if config.ical_secret is None or not config.public_url:
        return None
    secret = config.ical_secret.get_secret_value()
    return f"{config.public_url.rstrip('/')}/oncall/{schedule}.ics?token={token(secret, schedule)}"


def _stamp(when: datetime) -> str:
    return when.strftime("%Y%m%dT%H%M%SZ")


def calendar(name: str, segments: list[Segment], now: datetime) -> str:
    """RFC 5545 text: one event per shift someone is on call."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//chatops//on-call//EN",
        f"X-WR-CALNAME:On call: {name}",
    ]
    for segment in segments:
        if segment.person is None:
            continue
        lines += [
            "BEGIN:VEVENT",
            f"UID:{name}-{_stamp(segment.starts_at)}-{segment.person}@chatops",
            f"DTSTAMP:{_stamp(now)}",
            f"DTSTART:{_stamp(segment.starts_at)}",
            f"DTEND:{_stamp(segment.ends_at)}",
            f"SUMMARY:On call: @{segment.person} ({name})",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


async def feed(request: web.Request) -> web.Response:
    app: App = request.app[APP_KEY]
    config: OncallConfig = app.section("oncall")
    name = request.match_info["schedule"]
    schedule = config.schedules.get(name)
    if config.ical_secret is None or schedule is None or schedule.provider != "builtin":
        return web.Response(status=404, text="no such feed")
    expected = token(config.ical_secret.get_secret_value(), name)
    if not hmac.compare_digest(request.query.get("token", ""), expected):
        return web.Response(status=401, text="this feed needs its link's token")
    now = app.clock.now()
    async with app.db.read() as conn:
        built = await people.schedule(app, conn, name)
    body = calendar(name, built.segments(now - PAST, now + AHEAD), now)
    return web.Response(text=body, content_type="text/calendar", charset="utf-8")


def routes() -> list[web.RouteDef]:
    return [web.get("/oncall/{schedule}.ics", feed)]
