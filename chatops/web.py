"""The app's web server: ``/healthz`` (alive), ``/readyz`` (serving), plugin routes, transports' webhooks."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import text

if TYPE_CHECKING:
    from chatops.app import App

APP_KEY: web.AppKey[App] = web.AppKey("chatops_app")


async def healthz(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    return web.json_response({"status": "ok" if app.started else "starting"})


async def readyz(request: web.Request) -> web.Response:
    """Ready to serve: serving (not a standby replica), and the database answers within two seconds."""
    app = request.app[APP_KEY]
    if not app.started:
        return web.json_response({"status": "starting"}, status=503)
    if not app.serving:
        return web.json_response({"status": "standby"}, status=503)
    try:
        async with asyncio.timeout(2):
            async with app.db.read() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception as exc:
        problem = {"status": "database unavailable", "error": exc.__class__.__name__}
        return web.json_response(problem, status=503)
    return web.json_response({"status": "ready"})


@web.middleware
async def standby_refuses_writes(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A standby replica reads (status page, health) but leaves webhooks to the serving one.

    Senders retry a 503 (Alertmanager, Grafana, Slack), and a load balancer
    that follows ``/readyz`` sends them to the serving replica anyway.
    """
    app = request.app[APP_KEY]
    if request.method not in ("GET", "HEAD", "OPTIONS") and not app.serving:
        return web.json_response(
            {"error": "this replica is standing by; retry (the serving replica takes this)"},
            status=503,
            headers={"Retry-After": "1"},
        )
    return await handler(request)


def build_web_app(app: App) -> web.Application:
    web_app = web.Application(client_max_size=1024 * 1024, middlewares=[standby_refuses_writes])
    web_app[APP_KEY] = app
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    for _plugin, routes in app.hooks.call_sync("chatops_web_routes", app=app):
        web_app.router.add_routes(routes)
    for transport in app.transports.values():
        web_app.router.add_routes(transport.web_routes())
    return web_app


class WebServer:
    def __init__(self, app: App) -> None:
        self.app = app
        self.runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, host: str, port: int) -> int:
        self.runner = web.AppRunner(build_web_app(self.app), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        return self.port

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
