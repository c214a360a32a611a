"""The status page on the web server: ``/status``, ``/status/history.atom`` and ``/api/v2/*.json``;
and ``/status/sandbox``, where drills' publications show (never on the real page)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from chatops.web import APP_KEY
from chatops_plugins.statuspage import store, views
from chatops_plugins.statuspage.config import StatuspageConfig

if TYPE_CHECKING:
    from chatops.app import App

LABELS = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "under_maintenance": "Under maintenance",
}


def settings(app: App) -> StatuspageConfig:
    found: StatuspageConfig = app.section("statuspage")
    return found


async def gather(app: App, *, sandbox: bool = False) -> tuple[StatuspageConfig, dict[str, Any], datetime]:
    config = settings(app)
    now = app.clock.now()
    async with app.db.read() as conn:
        data = await store.page_data(conn, now, config.history_days, sandbox=sandbox)
    if sandbox:
        config = config.model_copy(update={"name": f"[SANDBOX — drills only] {config.name}"})
    return config, data, now


def html(
    config: StatuspageConfig, data: dict[str, Any], now: datetime, feed_url: str = "/status/history.atom"
) -> str:
    docs = views.documents(config, data, now)
    summary = docs["summary.json"]
    listed = docs["incidents.json"]["incidents"]
    tz = ZoneInfo(config.time_zone)
    loaders: list[jinja2.BaseLoader] = []
    if config.templates_dir:
        loaders.append(jinja2.FileSystemLoader(config.templates_dir))
    loaders.append(jinja2.FileSystemLoader(str(Path(__file__).parent)))
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True)

    def when(stamp: str) -> str:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(tz).strftime("%b %d, %H:%M %Z")

    touched: dict[str, int] = {}
    for row in data["incidents"]:
        if row.get("kind", "incident") == "incident":
            for component in row["components"]:
                touched[component] = touched.get(component, 0) + 1
    return env.get_template("status.html.j2").render(
        touched=touched,
        feed_url=feed_url,
        name=config.name,
        status=summary["status"],
        components=summary["components"],
        unresolved=summary["incidents"],
        maintenances=summary["scheduled_maintenances"],
        resolved=[i for i in listed if i["status"] == "resolved"],
        history_days=config.history_days,
        labels=LABELS,
        when=when,
    )


async def page(request: web.Request) -> web.Response:
    config, data, now = await gather(request.app[APP_KEY])
    return web.Response(text=html(config, data, now), content_type="text/html", charset="utf-8")


async def sandbox_page(request: web.Request) -> web.Response:
    """What drills published: the same page, apart, so practising comms never reaches customers."""
    config, data, now = await gather(request.app[APP_KEY], sandbox=True)
    return web.Response(text=html(config, data, now), content_type="text/html", charset="utf-8")


async def feed(request: web.Request) -> web.Response:
    config, data, now = await gather(request.app[APP_KEY])
    return web.Response(text=views.atom(config, data, now), content_type="application/atom+xml")


def json_route(name: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        config, data, now = await gather(request.app[APP_KEY])
        return web.json_response(views.documents(config, data, now)[name])

    return handler


def routes() -> list[web.RouteDef]:
    found = [
        web.get("/status", page),
        web.get("/status/sandbox", sandbox_page),
        web.get("/status/history.atom", feed),
    ]
    for name in (
        "summary.json",
        "status.json",
        "incidents.json",
        "incidents/unresolved.json",
        "scheduled-maintenances.json",
    ):
        found.append(web.get(f"/api/v2/{name}", json_route(name)))
    return found
