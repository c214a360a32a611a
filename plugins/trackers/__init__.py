"""Built-in plugin ``trackers``: action items as issues in GitHub, GitLab or Jira, closed here when
closed there.

Each configured tracker (the ``trackers:`` section) is an exporter of the
postmortem plugin's ``chatops_action_item_export``: adding an action item
queues the creation of its issue (a core delivery, retried), and the
issue's link is stored with the item.  ``POST /trackers/<name>/webhook``
receives the tracker's webhook, authenticated as that tracker signs it:
closing the issue marks the item done, reopening it reopens the item.

Answers: 401 without a signature or token, 403 with a wrong one (nothing
changes, nothing is read further), 400 for a body that is not a JSON
object, 413 above 1 MB, 404 for a tracker not configured here; 200 with
``{"changed": bool, "note": ...}`` otherwise, including for an issue that
no action item is linked to (trackers disable webhooks that keep failing).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel

from chatops import hookimpl
from chatops.state import per_app
from chatops.web import APP_KEY
from chatops.webauth import problem, read_body
from chatops_plugins.postmortem import export
from chatops_plugins.trackers.common import Tracker
from chatops_plugins.trackers.config import TrackersConfig
from chatops_plugins.trackers.github import GithubTracker
from chatops_plugins.trackers.gitlab import GitlabTracker
from chatops_plugins.trackers.jira import JiraTracker

if TYPE_CHECKING:
    from chatops.app import App

log = logging.getLogger("chatops.trackers")
BODY_LIMIT = 1024 * 1024
WEBHOOK_PATH = "/trackers/{name}/webhook"


def _trackers(app: App) -> dict[str, Tracker]:
    config: TrackersConfig = app.section("trackers")
    found: list[Tracker] = []
    if config.github is not None:
        found.append(GithubTracker(config.github))
    if config.gitlab is not None:
        found.append(GitlabTracker(config.gitlab))
    if config.jira is not None:
        found.append(JiraTracker(config.jira))
    return {t.name: t for t in found}


trackers_of = per_app(_trackers)


async def webhook(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    name = request.match_info["name"]
    tracker = trackers_of(app).get(name)
    if tracker is None:
        return problem(404, f"no tracker {name!r} is configured here (trackers.{name})")
    body = await read_body(request, BODY_LIMIT)
    if body is None:
        return problem(413, f"a webhook body is at most {BODY_LIMIT // 1024} KB")
    refused = tracker.authenticate(request, body)
    if refused is not None:
        return refused
    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        change = tracker.change(request, data)
    except ValueError as exc:  # JSONDecodeError and missing fields
        return problem(400, f"not a {name} issue event: {exc}")
    if isinstance(change, str):
        return web.json_response({"changed": False, "note": change})
    if change.closed:
        synced = await export.closed_in_tracker(
            app, name, change.external_id, by=change.by, dropped=change.dropped
        )
    else:
        synced = await export.reopened_in_tracker(app, name, change.external_id, by=change.by)
    log.info("%s webhook for issue %s: %s", name, change.external_id, synced.note)
    return web.json_response({"changed": synced.changed, "note": synced.note})


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"trackers": TrackersConfig}


@hookimpl
def chatops_action_item_export(app: App) -> dict[str, Any]:
    return dict(trackers_of(app))


@hookimpl
def chatops_web_routes(app: App) -> list[web.AbstractRouteDef]:
    return [web.post(WEBHOOK_PATH, webhook)]
