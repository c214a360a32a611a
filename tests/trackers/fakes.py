"""Local fakes of the three trackers' create-issue endpoints, checking auth as each documents it,
and each tracker's webhook, signed (or not) exactly as that tracker signs it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

GITHUB_TOKEN = "ghp-secret-token-0001"
GITLAB_TOKEN = "glpat-secret-token-0002"
JIRA_TOKEN = "jira-secret-token-0003"
JIRA_EMAIL = "bot@acme.example"
WEBHOOK_SECRET = "hook-secret-0004"


@dataclass
class FakeTracker:
    """Records each create call (path, headers, JSON); answers ``failures`` errors first."""

    name: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)  # (status, body) answered first
    created: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        if self.name == "github":
            app.router.add_post("/repos/{owner}/{repo}/issues", self.github)
        elif self.name == "gitlab":
            app.router.add_post("/api/v4/projects/{project:.+}/issues", self.gitlab)
        else:
            app.router.add_post("/rest/api/2/issue", self.jira)
        return app

    async def _record(self, request: web.Request) -> tuple[Any, web.Response | None]:
        body = await request.json()
        self.calls.append({"path": request.raw_path, "headers": dict(request.headers), "json": body})
        if self.failures:
            status, text = self.failures.pop(0)
            return body, web.Response(status=status, text=text, content_type="application/json")
        return body, None

    async def github(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {GITHUB_TOKEN}":
            return web.json_response({"message": "Bad credentials"}, status=401)
        body, failure = await self._record(request)
        if failure:
            return failure
        if not isinstance(body.get("title"), str):
            return web.json_response({"message": "Validation Failed"}, status=422)
        self.created += 1
        number = 41 + self.created
        url = f"https://github.example/acme/ops/issues/{number}"
        return web.json_response({"id": 9000 + number, "number": number, "html_url": url}, status=201)

    async def gitlab(self, request: web.Request) -> web.Response:
        if request.headers.get("PRIVATE-TOKEN") != GITLAB_TOKEN:
            return web.json_response({"message": "401 Unauthorized"}, status=401)
        _, failure = await self._record(request)
        if failure:
            return failure
        self.created += 1
        iid = 6 + self.created
        url = f"https://gitlab.example/acme/ops/-/issues/{iid}"
        return web.json_response({"id": 500 + iid, "iid": iid, "web_url": url}, status=201)

    async def jira(self, request: web.Request) -> web.Response:
        expected = base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response({"errorMessages": ["Unauthorized"]}, status=401)
        _, failure = await self._record(request)
        if failure:
            return failure
        self.created += 1
        key = f"OPS-{6 + self.created}"
        return web.json_response({"id": "10001", "key": key, "self": f"/rest/api/2/issue/{key}"}, status=201)


def hub_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def github_event(number: int, action: str, state_reason: str | None = None) -> tuple[bytes, dict[str, str]]:
    payload = {
        "action": action,
        "issue": {
            "number": number,
            "state": "closed" if action == "closed" else "open",
            "state_reason": state_reason,
        },
        "repository": {"full_name": "acme/ops"},
        "sender": {"login": "octocat"},
    }
    body = json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "X-Hub-Signature-256": hub_signature(WEBHOOK_SECRET, body),
        "Content-Type": "application/json",
    }
    return body, headers


def gitlab_event(iid: int, action: str) -> tuple[bytes, dict[str, str]]:
    payload = {
        "object_kind": "issue",
        "event_type": "issue",
        "user": {"name": "Gitte", "username": "gitte"},
        "project": {"id": 1234, "path_with_namespace": "acme/ops"},
        "object_attributes": {
            "iid": iid,
            "project_id": 1234,
            "action": action,
            "state": "closed" if action == "close" else "opened",
        },
    }
    headers = {
        "X-Gitlab-Event": "Issue Hook",
        "X-Gitlab-Token": WEBHOOK_SECRET,
        "Content-Type": "application/json",
    }
    return json.dumps(payload).encode(), headers


def jira_event(key: str, category: str, status: str = "Done") -> tuple[bytes, dict[str, str]]:
    payload = {
        "timestamp": 1772460000000,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "user": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Jo Ops"},
        "issue": {
            "id": "10001",
            "key": key,
            "fields": {"status": {"name": status, "statusCategory": {"key": category}}},
        },
        "changelog": {"items": [{"field": "status", "fromString": "In Progress", "toString": status}]},
    }
    body = json.dumps(payload).encode()
    headers = {"X-Hub-Signature": hub_signature(WEBHOOK_SECRET, body), "Content-Type": "application/json"}
    return body, headers
