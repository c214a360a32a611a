"""Alert intake over HTTP into a harness: sources, a service catalog, on-call people to page."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from chatops.testing import Harness
from chatops.web import build_web_app
from chatops_plugins.alerts import actions

PAYLOADS = Path(__file__).parent / "payloads"

PEOPLE = {
    "alice": {"timezone": "Europe/Berlin", "accounts": ["test:alice"]},
    "bob": {"timezone": "Europe/Berlin", "accounts": ["test:bob"]},
    "carol": {"accounts": ["test:carol"]},
}

ALERTING: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "oncall": {
        "people": PEOPLE,
        "schedules": {
            "platform": {
                "timezone": "Europe/Berlin",
                "layers": [{"participants": ["alice", "bob"], "start": "2026-02-23 09:00", "shift": "1w"}],
            }
        },
        "policies": {
            "default": {
                "steps": [
                    {"targets": ["schedule:platform"], "after": "5m"},
                    {"targets": ["user:carol"], "after": "5m"},
                ]
            }
        },
    },
    "alerts": {
        "sources": {
            "prom": {"format": "alertmanager", "token": "prom-token"},
            "grafana": {
                "format": "grafana",
                "hmac_secret": "grafana-secret",
                "timestamp_header": "X-Grafana-Alerting-Timestamp",
            },
            "hooks": {"format": "generic", "hmac_secret": "hook-secret", "max_body_kb": 4},
        },
        "services": {"checkout": {"team": "payments", "policy": "default", "rooms": ["test:ops"]}},
        "routes": [
            {"match": ["alertname=CertExpiring"], "service": "checkout", "ticket_only": True},
            {"match": ["alertname=SiteDown"], "service": "checkout", "severity": 1, "declare": True},
            {"match": ["alertname=NodeDown"], "service": "checkout", "group_by": ["alertname", "cluster"]},
            {"match": ["service=checkout"], "service": "checkout", "severity": 2},
        ],
        "default_room": "test:alerts",
        "flap_window": "5m",
    },
}


def payload(name: str, **changes: Any) -> dict[str, Any]:
    """A stored fixture, with top-level fields or the first alert's fields changed."""
    body: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    for key, value in changes.items():
        if key in body["alerts"][0] or key in ("labels", "annotations", "fingerprint", "endsAt"):
            body["alerts"][0][key] = value
        else:
            body[key] = value
    return body


def signed(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Chatops-Signature": f"sha256={digest}", "X-Chatops-Timestamp": stamp}


@pytest.fixture
def chat_config() -> dict[str, Any]:
    return ALERTING


@pytest_asyncio.fixture
async def web(chat: Harness) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(build_web_app(chat.app))) as client:
        yield client


class Poster:
    """Posts notifications the way each source does, and waits for chat to catch up."""

    def __init__(self, chat: Harness, client: TestClient[Any, Any]) -> None:
        self.chat, self.client = chat, client

    async def prom(self, body: dict[str, Any], token: str = "prom-token") -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        return await self.raw("prom", json.dumps(body).encode(), headers)

    async def raw(self, source: str, data: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        response = await self.client.post(f"/alerts/{source}", data=data, headers=headers)
        answer = await response.json()
        await self.settled()
        return response.status, answer

    async def settled(self) -> None:
        """Wait for what stored notifications set off after commit (messages, edits)."""
        app = self.chat.app
        await app.db.settled()
        await actions.refresher_of(app).idle()

    def messages(self, room: str) -> list[str]:
        return [m.text for m in self.chat.transport.sent if m.room == room]

    def edits(self) -> list[str]:
        return [text for _, text in self.chat.transport.edits]


@pytest.fixture
def post(chat: Harness, web: TestClient[Any, Any]) -> Poster:
    return Poster(chat, web)
