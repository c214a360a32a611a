"""Every public change reaches every publisher: a core delivery per publisher, each publisher in order.

Publishing queues one delivery per publisher (``chatops.deliveries``) in the
transaction that publishes (rows before actions), in the publisher's own
lane: a publisher's changes go strictly in order, so an external page never
goes backwards, and a failing publisher holds up no other.  A failure is
retried with backoff and told in the incident room, once at the first
failure and once when it is given up.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any, Protocol

from chatops.deliveries import DeliveryError, backoff
from chatops_plugins.incident import store as incidents

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

log = logging.getLogger("chatops.statuspage")
KIND = "statuspage.publish"


class PublishError(DeliveryError):
    """A publisher could not deliver; the message says why (shown in the room)."""


class Publisher(Protocol):
    """Receives each public change (``change`` is plain JSON: see ``commands.publish``)."""

    async def deliver(self, app: App, change: dict[str, Any]) -> None: ...


def publishers(app: App) -> dict[str, Publisher]:
    found: dict[str, Publisher] = {}
    for _plugin, part in app.hooks.call_sync("chatops_statuspage_publishers", app=app):
        found.update(part)
    return found


async def queue(tx: Tx, app: App, change: dict[str, Any]) -> None:
    """One delivery per publisher, in the publishing transaction."""
    for name in publishers(app):
        payload = {"publisher": name, "change": change}
        key = f"{KIND}:{name}:{uuid.uuid4().hex}"
        await app.deliveries.queue(tx, KIND, payload, key=key, lane=f"{KIND}:{name}")


class Publishing:
    """The delivery kind: hands a change to its publisher, tells the room when it fails."""

    max_attempts = 12
    first_retry_s = 5.0

    async def deliver(self, app: App, payload: dict[str, Any], delivery_id: str) -> None:
        publisher = publishers(app).get(payload["publisher"])
        if publisher is None:
            log.warning("status page publisher %s is no longer configured; dropped", payload["publisher"])
            return
        change = {k: v for k, v in payload["change"].items() if k != "incident_id"}  # internal: stays here
        # A receiver drops a repeat by it; "d" keeps these apart from the ids of before statuspage_0005.
        change["delivery_id"] = f"{payload['publisher']}:d{delivery_id.rsplit(':', 1)[1]}"
        await publisher.deliver(app, change)

    async def failed(
        self, app: App, payload: dict[str, Any], reason: str, attempts: int, gave_up: bool
    ) -> None:
        incident_id = payload["change"].get("incident_id")
        if incident_id is None or not (attempts == 1 or gave_up):
            return
        async with app.db.read() as conn:
            incident = await incidents.get(conn, incident_id)
        if incident is None or not incident.room_id:
            return
        name = payload["publisher"]
        if gave_up:
            text = f"⚠️ The {name} status page never took this update ({attempts} tries): {reason}"
        else:
            retry = backoff(attempts, self.first_retry_s).total_seconds()
            text = f"⚠️ The {name} status page did not take this update: {reason}. Retrying in {retry:g} s."
        await app.outbound.send(incident.room_id, text)
