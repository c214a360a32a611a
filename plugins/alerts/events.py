"""What happens to an alert group, as domain events (in its incident's timeline once it has one)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chatops import events as event_log
from chatops.events import DomainEvent

if TYPE_CHECKING:
    from chatops.storage.db import Tx


class AlertEvent(DomainEvent):
    group_id: int
    text: str


class AlertGroupFired(AlertEvent):
    kind = "alert_group_fired"


class AlertGroupAcknowledged(AlertEvent):
    kind = "alert_group_acknowledged"


class AlertGroupResolved(AlertEvent):
    kind = "alert_group_resolved"


class AlertGroupLinked(AlertEvent):
    kind = "alert_group_linked"
    group_key: str | None = None  # how alerts are grouped: incidents sharing it recur


class SilenceCreated(DomainEvent):
    kind = "silence_created"
    silence_id: str
    text: str


class SilenceExpired(DomainEvent):
    kind = "silence_expired"
    silence_id: str
    text: str


async def record(
    tx: Tx, group: dict[str, Any], event: type[AlertEvent], text: str, actor: str = "alerts"
) -> None:
    """Record ``event`` of ``group`` in its incident's timeline, or the group's own stream."""
    app = tx.app
    assert app is not None
    stream = f"incident:{group['incident_id']}" if group["incident_id"] else f"alert:{group['id']}"
    await event_log.record(
        tx, event(stream=stream, at=app.clock.now(), actor=actor, group_id=group["id"], text=text)
    )
