"""``chatops run`` serves /healthz and plugin routes, and stops cleanly on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import create_async_engine

from chatops import hookimpl
from chatops.testing import Harness
from chatops.web import build_web_app


class Hello:
    @hookimpl
    def chatops_web_routes(self, app: Any) -> list[web.RouteDef]:
        async def hello(request: web.Request) -> web.Response:
            return web.json_response({"hello": "world"})

        return [web.get("/hello", hello)]


async def test_plugins_add_routes_next_to_healthz(chat_factory: Any, register_plugin: Any) -> None:
    register_plugin(Hello(), "hello")
    chat: Harness = await chat_factory()
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        health = await client.get("/healthz")
        assert health.status == 200 and await health.json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status == 200 and await ready.json() == {"status": "ready"}
        assert await (await client.get("/hello")).json() == {"hello": "world"}
        assert (await client.get("/nope")).status == 404
        await chat.app.db.engine.dispose()
        chat.app.db.engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none")  # gone
        ready = await client.get("/readyz")
        assert ready.status == 503 and (await ready.json())["status"] == "database unavailable"


def test_run_serves_health_and_stops_on_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "chatops.yaml"
    config.write_text(
        f"database:\n  url: sqlite:///{tmp_path / 'c.db'}\nweb:\n  port: 0\n"
        "transports:\n  console:\n    interactive: false\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "chatops.cli", "run", "--config", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        port = None
        for line in proc.stderr:
            found = re.search(r"web server on http://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found[1])
                break
        assert port, "the web server never announced its port"
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            assert response.status == 200 and b'"ok"' in response.read()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
