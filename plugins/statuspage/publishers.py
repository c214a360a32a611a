"""External publishers: Atlassian Statuspage (its REST API) and a generic signed webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from sqlalchemy import select

from chatops.storage.upsert import upsert
from chatops_plugins.statuspage.config import AtlassianConfig, WebhookConfig
from chatops_plugins.statuspage.delivery import PublishError
from chatops_plugins.statuspage.tables import external_ids

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

TIMEOUT = aiohttp.ClientTimeout(total=10)


async def _send(method: str, url: str, body: Any, headers: dict[str, str], what: str) -> Any:
    try:
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as session,
            session.request(method, url, data=body, headers=headers) as response,
        ):
            text = await response.text()
            if response.status in (401, 403):
                raise PublishError(f"{what} refused the credentials ({response.status})")
            if response.status >= 400:
                raise PublishError(f"{what} answered {response.status}: {text.strip()[:200]}")
            return json.loads(text) if text.strip() else None
    except TimeoutError:
        raise PublishError(f"{what} did not answer within 10 s") from None
    except aiohttp.ClientError as exc:
        raise PublishError(f"{what} could not be reached ({exc.__class__.__name__})") from None
    except ValueError:
        raise PublishError(f"{what} answered with something that is not JSON") from None


class AtlassianStatuspage:
    """Creates the incident on first publication, then updates it (``Authorization: OAuth <key>``)."""

    name = "atlassian"

    def __init__(self, config: AtlassianConfig) -> None:
        self.config = config

    async def deliver(self, app: App, change: dict[str, Any]) -> None:
        c = self.config
        base = f"{c.api_url.rstrip('/')}/pages/{c.page_id}/incidents"
        headers = {
            "Authorization": f"OAuth {c.api_key.get_secret_value()}",
            "Content-Type": "application/json",
        }
        components = {c.components[k]: v for k, v in change["components"].items() if k in c.components}
        incident: dict[str, Any] = {
            "status": change["status"],
            "body": change["body"],
            "components": components,
            "component_ids": list(components),
        }
        if change.get("kind") == "maintenance":  # a scheduled maintenance there too, with its window
            incident["scheduled_for"] = change.get("scheduled_for")
            incident["scheduled_until"] = change.get("scheduled_until")
        else:
            incident["impact_override"] = change["impact"]
        async with app.db.read() as conn:
            known = await conn.scalar(
                select(external_ids.c.external_id).where(
                    external_ids.c.publisher == self.name,
                    external_ids.c.status_incident_id == change["status_incident_id"],
                )
            )
        if known is None:
            incident["name"] = change["name"]
            made = await _send(
                "POST", base, json.dumps({"incident": incident}), headers, "Atlassian Statuspage"
            )
            if not isinstance(made, dict) or "id" not in made:
                raise PublishError("Atlassian Statuspage did not say which incident it made")

            async def remember(tx: Tx) -> None:
                row = {
                    "publisher": self.name,
                    "status_incident_id": change["status_incident_id"],
                    "external_id": str(made["id"]),
                }
                await upsert(
                    tx,
                    external_ids,
                    row,
                    ("publisher", "status_incident_id"),
                    {"external_id": row["external_id"]},
                )

            await app.db.write(remember)
        else:
            await _send(
                "PATCH",
                f"{base}/{known}",
                json.dumps({"incident": incident}),
                headers,
                "Atlassian Statuspage",
            )


class SignedWebhook:
    """POSTs the change as JSON, signed like chatops' own alert sources: hex HMAC-SHA256 of
    ``<timestamp>:<body>`` in ``X-Chatops-Signature``, the timestamp in ``X-Chatops-Timestamp``."""

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config

    async def deliver(self, app: App, change: dict[str, Any]) -> None:
        body = json.dumps(change, sort_keys=True).encode()
        stamp = str(int(time.time()))
        digest = hmac.new(
            self.config.secret.get_secret_value().encode(), stamp.encode() + b":" + body, hashlib.sha256
        )
        headers = {
            "Content-Type": "application/json",
            "X-Chatops-Timestamp": stamp,
            "X-Chatops-Signature": f"sha256={digest.hexdigest()}",
            "X-Chatops-Delivery": str(change.get("delivery_id", "")),
        }
        await _send("POST", self.config.url, body, headers, f"The webhook {self.config.name}")
