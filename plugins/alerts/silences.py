"""Silences in Alertmanager, through its v2 API: create, list, expire.

Every failure (unreachable, refused, an answer we cannot read) becomes a
``SilenceError`` whose message a person can act on; calls are bounded by
``alerts.alertmanager.timeout_s``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

from chatops.timefmt import iso_utc
from chatops_plugins.alerts.config import AlertmanagerApi
from chatops_plugins.alerts.routing import Matcher


class SilenceError(Exception):
    """Alertmanager could not do it; the message says why."""


@dataclass(frozen=True, slots=True)
class Silence:
    id: str
    matchers: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    state: str  # active | pending | expired


async def _call(api: AlertmanagerApi, method: str, path: str, body: Any = None) -> Any:
    if not api.url:
        raise SilenceError("Silences need Alertmanager's address: set alerts.alertmanager.url")
    headers = {"Authorization": f"Bearer {api.token.get_secret_value()}"} if api.token else {}
    url = api.url.rstrip("/") + path
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=api.timeout_s)) as session,
            session.request(method, url, json=body, headers=headers) as response,
        ):
            text = await response.text()
            if response.status in (401, 403):
                raise SilenceError(
                    f"Alertmanager refused ({response.status}); check alerts.alertmanager.token"
                )
            if response.status >= 400:
                raise SilenceError(f"Alertmanager answered {response.status}: {text.strip()[:200]}")
            return await response.json(content_type=None) if text else None
    except TimeoutError:
        raise SilenceError(f"Alertmanager did not answer within {api.timeout_s:g} s") from None
    except aiohttp.ClientError as exc:
        raise SilenceError(f"Alertmanager could not be reached ({exc.__class__.__name__})") from None
    except ValueError:
        raise SilenceError("Alertmanager answered with something that is not JSON") from None


async def create(
    api: AlertmanagerApi, matchers: list[Matcher], starts: datetime, ends: datetime, by: str, comment: str
) -> str:
    body = {
        "matchers": [
            {"name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal} for m in matchers
        ],
        "startsAt": iso_utc(starts),
        "endsAt": iso_utc(ends),
        "createdBy": by,
        "comment": comment,
    }
    answer = await _call(api, "POST", "/api/v2/silences", body)
    if not isinstance(answer, dict) or "silenceID" not in answer:
        raise SilenceError("Alertmanager did not say which silence it made")
    return str(answer["silenceID"])


def _matcher_text(m: dict[str, Any]) -> str:
    op = (
        ("=~" if m.get("isRegex") else "=")
        if m.get("isEqual", True)
        else ("!~" if m.get("isRegex") else "!=")
    )
    return f'{m.get("name")}{op}"{m.get("value")}"'


async def listing(api: AlertmanagerApi) -> list[Silence]:
    answer = await _call(api, "GET", "/api/v2/silences")
    found = []
    for item in answer or []:
        try:
            found.append(
                Silence(
                    id=item["id"],
                    matchers=tuple(_matcher_text(m) for m in item.get("matchers", [])),
                    starts_at=datetime.fromisoformat(item["startsAt"].replace("Z", "+00:00")),
                    ends_at=datetime.fromisoformat(item["endsAt"].replace("Z", "+00:00")),
                    created_by=item.get("createdBy", ""),
                    comment=item.get("comment", ""),
                    state=item.get("status", {}).get("state", ""),
                )
            )
        except (KeyError, ValueError, AttributeError):
            continue  # one silence we cannot read does not hide the others
    return found


async def expire(api: AlertmanagerApi, silence_id: str) -> None:
    await _call(api, "DELETE", f"/api/v2/silence/{silence_id}")
