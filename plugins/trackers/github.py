"""GitHub Issues: ``POST /repos/{owner}/{repo}/issues`` with a bearer token; the ``issues`` webhook,
signed with ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>``.

An issue closed as "not planned" drops the item (saying so); closed as
completed, it is done.  Events of another repository (an organisation's
webhook) are ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from chatops.deliveries import DeliveryError
from chatops_plugins.postmortem.export import ExportedItem, ExternalIssue
from chatops_plugins.trackers import common
from chatops_plugins.trackers.config import GithubConfig

if TYPE_CHECKING:
    from chatops.app import App

API_VERSION = "2022-11-28"


class GithubTracker:
    name = "github"

    def __init__(self, config: GithubConfig) -> None:
        self.config = config

    async def create(self, app: App, item: ExportedItem) -> ExternalIssue:
        c = self.config
        owner = common.assignee(app, c, self.name, item)
        issue: dict[str, Any] = {
            "title": common.title(item),
            "body": common.body(item, f"@{owner}" if owner else None, c.webhook_secret is not None),
        }
        if owner:
            issue["assignees"] = [owner]
        if c.labels:
            issue["labels"] = list(c.labels)
        headers = {
            "Authorization": f"Bearer {c.token.get_secret_value()}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        }
        url = f"{c.api_url}/repos/{c.repo}/issues"
        made = await common.post_json("GitHub", url, issue, headers, [c.token, c.webhook_secret])
        number, link = made.get("number"), made.get("html_url")
        if not isinstance(number, int) or not isinstance(link, str):
            raise DeliveryError("GitHub's answer has no issue number or html_url")
        return ExternalIssue(external_id=str(number), ref=f"github#{number}", url=link)

    def authenticate(self, request: web.Request, body: bytes) -> web.Response | None:
        secret = self.config.webhook_secret
        if secret is None:
            return common.not_set_up(self.name)
        return common.signed(request, body, secret, "X-Hub-Signature-256", self.name)

    def change(self, request: web.Request, data: dict[str, Any]) -> common.Change | str:
        event = request.headers.get("X-GitHub-Event", "")
        if event != "issues":
            return f"ignored: a {event or 'unnamed'} event (only issues events matter)"
        action = data.get("action")
        if action not in ("closed", "reopened"):
            return f"ignored: issue {action}"
        number = common.field(data, "issue", "number")
        repo = common.field(data, "repository", "full_name")
        if not isinstance(number, int) or not isinstance(repo, str):
            raise ValueError("an issues event has issue.number and repository.full_name")
        if repo.lower() != self.config.repo.lower():
            return f"ignored: {repo} is not {self.config.repo}"
        by = str(common.field(data, "sender", "login") or "someone")
        not_planned = common.field(data, "issue", "state_reason") == "not_planned"
        dropped = "closed as not planned" if action == "closed" and not_planned else None
        return common.Change(str(number), action == "closed", by, dropped)
