"""What the API tests share: the integrations' tokens, the config, and a client that waits for chat."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from chatops.testing import Harness

DEPLOY_TOKEN = "deploy-bot-token-0123456789abcdef"
READER_TOKEN = "dashboard-token-0123456789abcdef"
PAGER_TOKEN = "pager-token-0123456789abcdef"

API_CONFIG: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "admins": ["test:alice"],
    "api": {
        "integrations": {
            "deploy-bot": {
                "token": DEPLOY_TOKEN,
                "actions": ["incidents.read", "incidents.declare", "incidents.update", "pages.ack"],
            },
            "dashboard": {"token": READER_TOKEN, "actions": ["incidents.read"]},
            "pager": {"token": PAGER_TOKEN, "actions": ["pages.ack"]},
        },
        "max_body_kb": 4,
    },
    "oncall": {
        "people": {
            "alice": {"timezone": "Europe/Berlin", "accounts": ["test:alice"]},
            "carol": {"accounts": ["test:carol"]},
        },
        "policies": {"default": {"steps": [{"targets": ["user:carol"], "after": "5m"}]}},
    },
}


class Api:
    """Calls the API as an integration and waits for what the call set off in chat."""

    def __init__(self, chat: Harness, client: TestClient[Any, Any]) -> None:
        self.chat, self.client = chat, client

    async def call(
        self, method: str, path: str, token: str | None = DEPLOY_TOKEN, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response: ClientResponse = await self.client.request(method, path, headers=headers, **kwargs)
        answer = await response.json()
        await self.chat.app.db.settled()
        return response.status, answer

    async def declare(self, token: str = DEPLOY_TOKEN, **body: Any) -> tuple[int, Any]:
        return await self.call("POST", "/api/v1/incidents", token, json=body)

    def texts(self, room: str) -> list[str]:
        return [m.text for m in self.chat.messages(room)]

    def edits(self) -> list[str]:
        return [text for _, text in self.chat.transport.edits]
