"""GitLab Issues: ``POST /api/v4/projects/:id/issues`` with ``PRIVATE-TOKEN``; the Issue Hook
(``object_kind: issue``, ``object_attributes.action: close|reopen``), authenticated by
``X-Gitlab-Token``, the webhook's secret token.  Events of another project are ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from chatops.deliveries import DeliveryError
from chatops_plugins.postmortem.export import ExportedItem, ExternalIssue
from chatops_plugins.trackers import common
from chatops_plugins.trackers.config import GitlabConfig

if TYPE_CHECKING:
    from chatops.app import App


class GitlabTracker:
    name = "gitlab"

    def __init__(self, config: GitlabConfig) -> None:
        self.config = config

    async def create(self, app: App, item: ExportedItem) -> ExternalIssue:
        c = self.config
        owner = common.assignee(app, c, self.name, item)
        issue: dict[str, Any] = {
            "title": common.title(item),
            "description": common.body(
                item, f"user {owner}" if owner else None, c.webhook_secret is not None
            ),
            "due_date": item.due,
        }
        if owner:
            issue["assignee_ids"] = [int(owner)]
        if c.labels:
            issue["labels"] = ",".join(c.labels)
        url = f"{c.url}/api/v4/projects/{quote(c.project, safe='')}/issues"
        headers = {"PRIVATE-TOKEN": c.token.get_secret_value()}
        made = await common.post_json("GitLab", url, issue, headers, [c.token, c.webhook_secret])
        iid, link = made.get("iid"), made.get("web_url")
        if not isinstance(iid, int) or not isinstance(link, str):
            raise DeliveryError("GitLab's answer has no issue iid or web_url")
        return ExternalIssue(external_id=str(iid), ref=f"gitlab#{iid}", url=link)

    def authenticate(self, request: web.Request, body: bytes) -> web.Response | None:
        secret = self.config.webhook_secret
        if secret is None:
            return common.not_set_up(self.name)
        return common.token_matches(
            request.headers.get("X-Gitlab-Token"), secret, "X-Gitlab-Token", self.name
        )

    def _ours(self, data: dict[str, Any]) -> bool:
        project = self.config.project
        if project.isdigit():
            found = common.field(data, "project", "id") or common.field(
                data, "object_attributes", "project_id"
            )
            return str(found) == project
        return str(common.field(data, "project", "path_with_namespace")).lower() == project.lower()

    def change(self, request: web.Request, data: dict[str, Any]) -> common.Change | str:
        if data.get("object_kind") != "issue":
            return f"ignored: a {data.get('object_kind') or 'unnamed'} event (only issue events matter)"
        action = common.field(data, "object_attributes", "action")
        if action not in ("close", "reopen"):
            return f"ignored: issue {action}"
        iid = common.field(data, "object_attributes", "iid")
        if not isinstance(iid, int):
            raise ValueError("an issue event has object_attributes.iid")
        if not self._ours(data):
            return f"ignored: not project {self.config.project}"
        by = str(common.field(data, "user", "username") or "someone")
        return common.Change(str(iid), action == "close", by)
