"""Jira: ``POST /rest/api/2/issue`` with HTTP Basic (email:API token); the ``jira:issue_updated``
webhook when the status changes.

An issue is closed when its new status is in the *done* category
(``issue.fields.status.statusCategory.key``), whatever the workflow calls
it; a status change out of it reopens the item.  Jira Cloud's admin
webhooks sign the body with their secret (``X-Hub-Signature:
sha256=<hex HMAC-SHA256>``, the default here); Jira Data Center cannot, so
``webhook_auth: query`` takes the secret in the webhook's URL
(``?secret=...``) instead: keep that URL out of shared places.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from aiohttp import web

from chatops.deliveries import DeliveryError
from chatops_plugins.postmortem.export import ExportedItem, ExternalIssue
from chatops_plugins.trackers import common
from chatops_plugins.trackers.config import JiraConfig

if TYPE_CHECKING:
    from chatops.app import App


class JiraTracker:
    name = "jira"

    def __init__(self, config: JiraConfig) -> None:
        self.config = config

    async def create(self, app: App, item: ExportedItem) -> ExternalIssue:
        c = self.config
        owner = common.assignee(app, c, self.name, item)
        fields: dict[str, Any] = {
            "project": {"key": c.project},
            "summary": common.title(item),
            "description": common.body(item, owner, c.webhook_secret is not None),
            "issuetype": {"name": c.issue_type},
            "duedate": item.due,
        }
        if owner:
            fields["assignee"] = {c.assignee_field: owner}
        if c.labels:
            fields["labels"] = list(c.labels)
        pair = f"{c.email}:{c.token.get_secret_value()}".encode()
        headers = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        url = f"{c.url}/rest/api/2/issue"
        made = await common.post_json("Jira", url, {"fields": fields}, headers, [c.token, c.webhook_secret])
        key = made.get("key")
        if not isinstance(key, str) or not key:
            raise DeliveryError("Jira's answer has no issue key")
        return ExternalIssue(external_id=key, ref=key, url=f"{c.url}/browse/{key}")

    def authenticate(self, request: web.Request, body: bytes) -> web.Response | None:
        secret = self.config.webhook_secret
        if secret is None:
            return common.not_set_up(self.name)
        if self.config.webhook_auth == "query":
            return common.token_matches(request.query.get("secret"), secret, "?secret=", self.name)
        return common.signed(request, body, secret, "X-Hub-Signature", self.name)

    def change(self, request: web.Request, data: dict[str, Any]) -> common.Change | str:
        event = data.get("webhookEvent")
        if event != "jira:issue_updated":
            return f"ignored: a {event or 'unnamed'} event (only jira:issue_updated matters)"
        items = common.field(data, "changelog", "items")
        if not isinstance(items, list) or not any(
            isinstance(i, dict) and i.get("field") == "status" for i in items
        ):
            return "ignored: the status did not change"
        key = common.field(data, "issue", "key")
        if not isinstance(key, str):
            raise ValueError("a jira:issue_updated event has issue.key")
        if key.split("-", 1)[0] != self.config.project:
            return f"ignored: {key} is not in project {self.config.project}"
        category = common.field(data, "issue", "fields", "status", "statusCategory", "key")
        user = data.get("user")
        by = str(common.field(user, "displayName") or common.field(user, "name") or "someone")
        return common.Change(key, category == "done", by)
