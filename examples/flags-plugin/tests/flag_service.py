"""A local flag service for the tests: flags in a dict, every request logged, failures on demand.

It speaks what ``chatops_flags`` expects: ``GET``/``PUT /flags/<name>`` (``{"enabled": bool}``)
with ``Authorization: Bearer <token>``.  The transport contract tests (tests/slack, tests/discord,
tests/matrix, tests/contract) share it and its ``flag_service`` fixture.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from aiohttp import web

TOKEN = "flag-token-s3cr3t-7d1e"  # a secret: tests check it never reaches a chat or a log
FLAG = "new-checkout"


@dataclass(frozen=True)
class Call:
    method: str
    flag: str
    body: Any


class FlagService:
    def __init__(self, flags: dict[str, bool] | None = None) -> None:
        self.flags = dict(flags if flags is not None else {FLAG: True, "search-v2": False})
        self.calls: list[Call] = []
        self.fail_with: int | None = None  # answer every request with this HTTP status
        self.hang = False  # never answer (until the service stops)
        self._stopping = asyncio.Event()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> FlagService:
        app = web.Application()
        app.router.add_route("*", "/flags/{name}", self._flag)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def config(self, **settings: Any) -> dict[str, Any]:
        """The ``flags:`` config section pointing at this service."""
        return {"flags": {"url": self.url, "token": TOKEN, **settings}}

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Wait (up to 10 s) until ``condition()`` holds, re-checked on every request (no polling)."""
        async with asyncio.timeout(10), self._changed:
            await self._changed.wait_for(condition)

    async def _flag(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "unauthorized"}, status=401)
        name = request.match_info["name"]
        body: dict[str, Any] = await request.json() if request.method == "PUT" else {}
        async with self._changed:
            self.calls.append(Call(request.method, name, body or None))
            self._changed.notify_all()
        if self.hang:
            await self._stopping.wait()
        if self.fail_with is not None:
            return web.json_response({"error": "broken"}, status=self.fail_with)
        if name not in self.flags:
            return web.json_response({"error": "no such flag"}, status=404)
        if request.method == "PUT":
            self.flags[name] = bool(body["enabled"])
        elif request.method != "GET":
            return web.json_response({"error": "method not allowed"}, status=405)
        return web.json_response({"name": name, "enabled": self.flags[name]})


@pytest_asyncio.fixture
async def flag_service() -> AsyncIterator[FlagService]:
    service = await FlagService().start()
    yield service
    await service.stop()
