"""External publishers: Atlassian Statuspage's REST API and a signed webhook, each retried on its own."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from chatops.testing import Harness

ROOM = "inc-1-checkout-api-errors"


class FakeStatuspage:
    """Atlassian Statuspage's incident endpoints, as documented: OAuth key, create then update."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.failing = 0

    async def create(self, request: web.Request) -> web.Response:
        return await self._handle(request, {"id": "ext-1"})

    async def update(self, request: web.Request) -> web.Response:
        return await self._handle(request, {"id": request.match_info["incident"]})

    async def _handle(self, request: web.Request, answer: dict[str, Any]) -> web.Response:
        if request.headers.get("Authorization") != "OAuth sp-key":
            return web.json_response({"error": "unauthorized"}, status=401)
        if self.failing:
            self.failing -= 1
            return web.json_response({"error": "try later"}, status=500)
        body = await request.json()
        self.requests.append((request.method, request.path, body))
        return web.json_response(
            {**answer, **body["incident"]}, status=201 if request.method == "POST" else 200
        )


class WebhookSink:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers["X-Chatops-Timestamp"]
        expected = hmac.new(b"hook-secret", stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        if request.headers["X-Chatops-Signature"] != f"sha256={expected}":
            return web.Response(status=401)
        self.received.append(json.loads(body))
        return web.Response(status=204)


@pytest_asyncio.fixture
async def remote() -> AsyncIterator[tuple[FakeStatuspage, WebhookSink, str]]:
    statuspage, sink = FakeStatuspage(), WebhookSink()
    app = web.Application()
    app.router.add_post("/v1/pages/pg1/incidents", statuspage.create)
    app.router.add_patch("/v1/pages/pg1/incidents/{incident}", statuspage.update)
    app.router.add_post("/hook", sink.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield statuspage, sink, str(server.make_url(""))
    await server.close()


@pytest.fixture
def chat_config(remote: tuple[FakeStatuspage, WebhookSink, str]) -> dict[str, Any]:
    _, _, base = remote
    return {
        "statuspage": {
            "components": [{"id": "checkout", "name": "Checkout"}],
            "atlassian": {
                "api_url": f"{base}/v1",
                "page_id": "pg1",
                "api_key": "sp-key",
                "components": {"checkout": "cmp-123"},
            },
            "webhooks": [{"name": "comms", "url": f"{base}/hook", "secret": "hook-secret"}],
        }
    }


async def publish(chat: Harness, text: str, *options: str) -> list[Any]:
    await chat.say(f'!statuspage draft "{text}" {" ".join(options)}', user="alice", room=ROOM)
    return await chat.say("!statuspage publish", user="alice", room=ROOM)


async def test_each_change_reaches_statuspage_and_the_webhook(
    chat: Harness, remote: tuple[FakeStatuspage, WebhookSink, str]
) -> None:
    statuspage, sink, _ = remote
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    await publish(
        chat, "Some payments fail. We are investigating.", '--title "Payments failing" --components checkout'
    )
    await publish(chat, "A fix is rolling out.", "--status identified")
    assert [(m, p) for m, p, _ in statuspage.requests] == [
        ("POST", "/v1/pages/pg1/incidents"),
        ("PATCH", "/v1/pages/pg1/incidents/ext-1"),
    ]
    first = statuspage.requests[0][2]["incident"]
    assert first == {
        "name": "Payments failing",
        "status": "investigating",
        "body": "Some payments fail. We are investigating.",
        "impact_override": "major",
        "components": {"cmp-123": "partial_outage"},
        "component_ids": ["cmp-123"],
    }
    assert [c["delivery_id"] for c in sink.received] == ["webhook:comms:d1", "webhook:comms:d3"]
    assert all("incident_id" not in c for c in sink.received)  # our internal numbers stay here
    assert [(c["status"], c["body"]) for c in sink.received] == [
        ("investigating", "Some payments fail. We are investigating."),
        ("identified", "A fix is rolling out."),
    ]


async def test_a_failing_publisher_is_retried_reported_and_holds_up_no_other(
    chat: Harness, remote: tuple[FakeStatuspage, WebhookSink, str]
) -> None:
    statuspage, sink, _ = remote
    await chat.say('!incident declare "Checkout API errors" --sev 2', user="alice")
    statuspage.failing = 2
    sent = await publish(
        chat, "Some payments fail. We are investigating.", '--title "Payments failing" --components checkout'
    )
    sent += await chat.advance("1s")
    warnings = [m.text for m in chat.transport.sent if m.room == ROOM and m.text.startswith("⚠️")]
    assert warnings == [
        "⚠️ The atlassian status page did not take this update: Atlassian Statuspage answered 500: "
        '{"error": "try later"}. Retrying in 5 s.'
    ]
    assert len(sink.received) == 1 and statuspage.requests == []  # the webhook was not held up

    await publish(chat, "A fix is rolling out.", "--status identified")  # the later change waits its turn
    assert statuspage.requests == [] and len(sink.received) == 2

    await chat.advance("5s")  # the retry, 5 s after the first try, fails again: the wait doubles to 10 s
    assert statuspage.failing == 0 and statuspage.requests == []
    await chat.advance("8s")
    assert statuspage.requests == []  # not due yet
    await chat.advance("1s")  # 15 s after the first try: the first, then the one it held back, in order
    assert [(m, r["incident"]["status"]) for m, _, r in statuspage.requests] == [
        ("POST", "investigating"),
        ("PATCH", "identified"),
    ]
    assert (
        len([m for m in chat.transport.sent if m.room == ROOM and m.text.startswith("⚠️")]) == 1
    )  # told once
