"""What the three trackers share: one HTTP call, the owner as a tracker user, the issue's text,
and the checks of a webhook's signature or token.

A token goes in a request header only.  Reasons for people (and logs) are
built from the status and the tracker's own error message, with every
configured secret replaced by ``***``; no header is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from chatops.deliveries import DeliveryError
from chatops.storage.db import redact
from chatops.webauth import problem, raw_header
from chatops_plugins.oncall.config import OncallConfig
from chatops_plugins.postmortem.export import ExportedItem, ExternalIssue

if TYPE_CHECKING:
    from chatops.app import App
    from chatops_plugins.trackers.config import _Tracker

log = logging.getLogger("chatops.trackers")
TIMEOUT = aiohttp.ClientTimeout(total=15)
TITLE_MAX = 250


@dataclass(frozen=True, slots=True)
class Change:
    """What a webhook says happened to an issue: closed (done, or dropped saying why) or reopened."""

    external_id: str
    closed: bool
    by: str
    dropped: str | None = None


class Tracker(Protocol):
    name: str

    async def create(self, app: App, item: ExportedItem) -> ExternalIssue: ...

    def authenticate(self, request: web.Request, body: bytes) -> web.Response | None: ...

    def change(self, request: web.Request, data: dict[str, Any]) -> Change | str: ...


def hide(text: str, secrets: Iterable[SecretStr | None]) -> str:
    for secret in secrets:
        value = secret.get_secret_value() if secret is not None else ""
        if value:
            text = text.replace(value, "***")
    return text


def _message(body: str) -> str:
    """The tracker's own error text, when it sent one (GitHub ``message``, GitLab ``message``/``error``,
    Jira ``errorMessages``/``errors``)."""
    try:
        found = json.loads(body)
    except ValueError:
        return body.strip()[:200]
    if not isinstance(found, dict):
        return ""
    parts: list[str] = []
    for key in ("message", "error"):
        if isinstance(found.get(key), str | dict | list):
            parts.append(str(found[key]))
    if isinstance(found.get("errorMessages"), list):
        parts += [str(m) for m in found["errorMessages"]]
    if isinstance(found.get("errors"), dict):
        parts += [f"{k}: {v}" for k, v in found["errors"].items()]
    return "; ".join(parts)[:300]


async def post_json(
    what: str, url: str, body: dict[str, Any], headers: dict[str, str], secrets: Iterable[SecretStr | None]
) -> dict[str, Any]:
    """POST ``body`` as JSON; the answer's JSON object.  Raises ``DeliveryError`` (retried) otherwise."""
    secrets = list(secrets)
    try:
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as http,
            http.post(url, json=body, headers={"Accept": "application/json", **headers}) as answer,
        ):
            text = (await answer.read()).decode("utf-8", errors="replace")
            status = answer.status
    except TimeoutError:
        raise DeliveryError(f"{what} did not answer within {TIMEOUT.total:g} s") from None
    except aiohttp.ClientError as exc:
        where = hide(redact(url), secrets)
        raise DeliveryError(f"could not reach {what} at {where} ({type(exc).__name__})") from None
    if not 200 <= status < 300:
        detail = _message(text)
        reason = f"{what} answered HTTP {status}" + (f": {detail}" if detail else "")
        if status in (401, 403):
            reason += " (check the token and its permissions)"
        raise DeliveryError(hide(reason, secrets))
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise DeliveryError(f"{what} answered HTTP {status} without the new issue")
    return found


def assignee(app: App, config: _Tracker, tracker: str, item: ExportedItem) -> str | None:
    """The owner as a user of this tracker: the section's ``users`` (by person key, chat name or
    account), else ``oncall.people.<key>.external`` entries ``<tracker>:<user>``; None when unknown."""
    for key in (item.owner_person, item.owner_name, item.owner_id):
        if key and key in config.users:
            return str(config.users[key])
    oncall: OncallConfig = app.section("oncall")
    person = oncall.people.get(item.owner_person or "")
    for external in person.external if person is not None else []:
        prefix, _, user = external.partition(":")
        if prefix.lower() == tracker and user:
            return user
    return None


def title(item: ExportedItem) -> str:
    text = f"{item.ref}: {item.text}"
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1] + "…"


def body(item: ExportedItem, owner: str | None, syncs_back: bool) -> str:
    """The issue's text (plain text that reads as Markdown too)."""
    incident = f'{item.incident_ref} "{item.incident_title}"' if item.incident_title else item.incident_ref
    who = f"{owner} (assigned)" if owner else f"{item.owner_name} (in chat; not a known user here)"
    lines = [
        f"Action item {item.ref} from the postmortem of {incident}.",
        "",
        item.text,
        "",
        f"Owner: {who}",
        f"Due: {item.due}",
    ]
    if item.postmortem:
        lines.append(f"Postmortem: {item.postmortem}")
    else:
        lines.append(f"Incident: {item.incident_ref} (the postmortem is not published yet)")
    lines += ["", f"Created by chatops ({item.delivery_id})."]
    if syncs_back:
        lines.append(f"Closing this issue marks {item.ref} done in chatops; reopening it reopens {item.ref}.")
    return "\n".join(lines)


# --- webhooks ---


def not_set_up(tracker: str) -> web.Response:
    log.warning("refused a %s webhook: trackers.%s.webhook_secret is not set", tracker, tracker)
    return problem(403, f"{tracker} webhooks are not set up here (trackers.{tracker}.webhook_secret)")


def signed(
    request: web.Request, body: bytes, secret: SecretStr, header: str, tracker: str
) -> web.Response | None:
    """None when ``header`` is ``sha256=<hex HMAC-SHA256 of the body>`` keyed with ``secret``."""
    given = request.headers.get(header)
    if not given:
        log.warning("refused a %s webhook without %s", tracker, header)
        return problem(401, f"{header} is missing: set the webhook's secret")
    digest = hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(raw_header(given), f"sha256={digest}".encode()):
        log.warning("refused a %s webhook: %s does not match its body", tracker, header)
        return problem(403, f"{header} does not match: is the webhook's secret the one configured here?")
    return None


def token_matches(given: str | None, secret: SecretStr, what: str, tracker: str) -> web.Response | None:
    """None when ``given`` is the secret (compared in constant time)."""
    if not given:
        log.warning("refused a %s webhook without %s", tracker, what)
        return problem(401, f"{what} is missing: set the webhook's secret")
    if not hmac.compare_digest(raw_header(given), secret.get_secret_value().encode()):
        log.warning("refused a %s webhook: wrong %s", tracker, what)
        return problem(403, f"{what} is wrong: is the webhook's secret the one configured here?")
    return None


def field(data: Any, *path: str) -> Any:
    """``data[path[0]][path[1]]…``, or None where something is missing or not a mapping."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
