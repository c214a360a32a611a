"""End to end with the real Alertmanager: an alert pages the on-call person, its resolution resolves
the group, and !silence / !silences / !unsilence work through Alertmanager's API."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from alertmanager import Alertmanager, binary
from conftest import ALERTING

from chatops import events as event_log
from chatops.testing import Harness
from chatops.web import build_web_app
from chatops_plugins.alerts import actions


@pytest.fixture(scope="module", autouse=True)
def needs_alertmanager() -> None:
    if binary() is None:
        reason = "prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; .ci/run installs it, and CI=true must not skip")
        pytest.skip(reason)


class Deliveries:
    """Counts webhook requests answered, so a test can wait for Alertmanager's next one."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = asyncio.Condition()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        if request.path.startswith("/alerts/"):
            async with self.changed:
                self.count += 1
                self.changed.notify_all()
        return response

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(20), self.changed:
            await self.changed.wait_for(lambda: self.count >= count)


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return ALERTING


@pytest_asyncio.fixture
async def chat(chat_factory: Callable[..., Awaitable[Harness]]) -> Harness:
    """On Alertmanager's clock: silences must not start in the past."""
    return await chat_factory(start=datetime.now(UTC))


@pytest_asyncio.fixture
async def wired(chat: Harness, tmp_path: Path) -> AsyncIterator[tuple[Alertmanager, Deliveries]]:
    deliveries = Deliveries()
    web_app = build_web_app(chat.app)
    web_app.middlewares.append(deliveries.middleware)
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    manager = Alertmanager(tmp_path, str(server.make_url("/alerts/prom")), "prom-token")
    await manager.start()
    chat.app.section("alerts").alertmanager.url = manager.url
    yield manager, deliveries
    await manager.stop()
    await server.close()


def disk_full(ends: datetime | None = None) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    alert: dict[str, Any] = {
        "labels": {"alertname": "DiskFull", "instance": "db1:9100", "service": "checkout"},
        "annotations": {"summary": "disk 95% full"},
        "startsAt": (now - timedelta(minutes=2)).isoformat().replace("+00:00", "Z"),
        "generatorURL": "http://prometheus.invalid/graph",
    }
    if ends is not None:
        alert["endsAt"] = ends.isoformat().replace("+00:00", "Z")
    return [alert]


async def settled(chat: Harness) -> None:
    await chat.app.db.settled()
    await actions.refresher_of(chat.app).idle()


async def test_an_alert_through_alertmanager_pages_and_its_resolution_resolves_the_group(
    chat: Harness, wired: tuple[Alertmanager, Deliveries]
) -> None:
    manager, deliveries = wired
    await manager.post_alerts(disk_full())
    await deliveries.wait_for(1)
    await settled(chat)
    ops = [m.text for m in chat.transport.sent if m.room == "ops"]
    assert ops and ops[0].startswith("🔥 A-1 · Sev2 · checkout · DiskFull: disk 95% full")
    paged = [m.room for m in chat.transport.sent if m.text.startswith("📟 You are paged: P-1")]
    assert paged in (["@alice"], ["@bob"])  # whoever the rotation has this week

    await manager.post_alerts(disk_full(ends=datetime.now(UTC) - timedelta(seconds=1)))
    await deliveries.wait_for(2)
    await settled(chat)
    async with chat.app.db.read() as conn:
        group = await actions.get(conn, 1)
    assert group is not None and group["status"] == "resolving"
    await chat.advance("5m")
    await settled(chat)
    async with chat.app.db.read() as conn:
        group = await actions.get(conn, 1)
    assert group is not None and group["status"] == "resolved"
    assert any(text.startswith("✅ A-1") for _, text in chat.transport.edits)
    assert any(text.startswith("⏹️ P-1 stopped") for _, text in chat.transport.edits)


async def test_silences_are_made_listed_and_lifted_in_alertmanager(
    chat: Harness, wired: tuple[Alertmanager, Deliveries]
) -> None:
    made = await chat.reply('!silence alertname=DiskFull instance=~"db.*" 2h replacing the disk', user="bob")
    assert made.startswith('Silenced alertname="DiskFull" instance=~"db.*" until ')
    assert "(replacing the disk); id " in made
    short = made.rsplit("!unsilence ", 1)[1]
    listed = await chat.reply("!silences", user="bob")
    assert listed.startswith("1 silence(s):") and short in listed and "by bob: replacing the disk" in listed

    for bad, answer in [
        ("!silence 2h nothing to match", "A silence needs at least one matcher."),
        ("!silence alertname=DiskFull", "How long?"),
        ("!silence alertname=DiskFull soon x", "not a duration: 'soon'"),
        ("!silence alertname=DiskFull 2h", "Say why (it is recorded)."),
        ('!silence alertname=~"(" 2h bad regex', "not a regular expression"),
        ("!silence alertname=DiskFull 90d too long", "Silences last at most 30 days"),
        ("!unsilence ffffffff", "No active silence 'ffffffff'."),
    ]:
        assert answer in await chat.reply(bad, user="bob"), bad
    assert "Only the people in the on-call config" in await chat.reply("!unsilence " + short, user="mallory")

    assert (await chat.reply(f"!unsilence {short}", user="bob")).startswith(f"Lifted silence {short}")
    assert await chat.reply("!silences", user="bob") == "No active silences."
    async with chat.app.db.read() as conn:
        recorded = [e.kind for e in await event_log.stream(conn, "alerts:silences")]
    assert recorded == ["silence_created", "silence_expired"]


async def test_an_unreachable_alertmanager_is_said_plainly(chat: Harness) -> None:
    assert "Silences need Alertmanager's address" in await chat.reply("!silences", user="bob")
    chat.app.section("alerts").alertmanager.url = "http://127.0.0.1:9"
    answer = await chat.reply("!silence alertname=X 1h test", user="bob")
    assert answer == "Alertmanager could not be reached (ClientConnectorError)"
