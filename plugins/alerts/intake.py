"""Notifications in, alert groups out: deduplicated, grouped, flap-held, stored before answered.

Notifications that arrive together are stored together (``Batcher``): one
statement per table for the whole batch, applied in arrival order, so an
alert storm costs a few database round trips per batch rather than per
notification.  The webhook is answered once the batch has committed.

A group is open while it is ``firing`` or ``resolving``; its key is unique
among open groups.  The first firing alert of a key opens a group (posted
in its room, paged by its policy unless ticket-only, declared as an
incident if its route says so).  A repeat says nothing new.  When the last
alert of a group resolves, the group is held ``resolving`` for the flap
window: an alert firing again within it is a flap (counted, not paged);
when the window passes the group is ``resolved``.  An alert firing after
that opens a new group.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import bindparam, insert, select, update

from chatops_plugins.alerts.config import AlertsConfig
from chatops_plugins.alerts.formats import Alert, Notification, bounded
from chatops_plugins.alerts.routing import Placement, Route, Router, Service
from chatops_plugins.alerts.tables import groups, instances, notifications

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

FIRING, RESOLVING, RESOLVED = "firing", "resolving", "resolved"
T = TypeVar("T")
OPEN = (FIRING, RESOLVING)


@dataclass(frozen=True, slots=True)
class Received:
    source: str
    notification: Notification
    body: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Stored:
    """What the webhook answers: the groups the notification touched."""

    groups: tuple[int, ...]


def settings(app: App) -> AlertsConfig:
    found: AlertsConfig = app.section("alerts")
    return found


def router(config: AlertsConfig) -> Router:
    services = {
        name: Service(service.policy, service.rooms[0] if service.rooms else None)
        for name, service in config.services.items()
    }
    routes = tuple(
        Route(
            route.matchers(),
            route.service,
            route.severity,
            route.policy,
            route.room,
            route.ticket_only,
            route.declare,
            tuple(route.group_by),
        )
        for route in config.routes
    )
    return Router(
        routes,
        services,
        config.default_room,
        config.default_policy,
        {k.lower(): v for k, v in config.severity_labels.items()},
        config.default_severity,
    )


def group_key(source: str, notification: Notification, placement: Placement, alert: Alert) -> str:
    """A route's ``group_by`` labels, else the source's own grouping, else the alert's name."""
    if placement.group_by:
        part = ",".join(f"{name}={alert.labels.get(name, '')}" for name in placement.group_by)
    elif notification.group_key:
        part = notification.group_key
    else:
        part = f"alertname={alert.name}"
    return bounded(f"{source}:{part}", 500)


def title_of(alert: Alert) -> str:
    return (f"{alert.name}: {alert.summary}" if alert.summary else alert.name)[:300]


def _chunks(values: Iterable[T], size: int = 1000) -> Iterator[list[T]]:
    ordered = list(values)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _older(alert: Alert, instance: dict[str, Any]) -> bool:
    """A firing that began before its alert's last resolution: out of order, not a new firing."""
    ended = instance["resolved_at"]
    return alert.starts_at is not None and ended is not None and alert.starts_at < ended


def _row(row: Any) -> dict[str, Any]:
    return dict(row._mapping)


class Batch:
    """One batch applied in memory, in arrival order, before it is written."""

    def __init__(self, app: App, now: datetime) -> None:
        self.app = app
        self.now = now
        self.config = settings(app)
        self.flap = self.config.flap()
        self.router = router(self.config)
        self.groups: dict[str, dict[str, Any]] = {}  # open groups by key
        self.instances: dict[tuple[str, str], dict[str, Any]] = {}  # by (group key, fingerprint)
        self.placements: dict[str, Placement] = {}  # how each new group was placed
        # ordered sets (dicts): rows are written in the order the batch met them
        self.changed_groups: dict[str, None] = {}
        self.changed_instances: dict[tuple[str, str], None] = {}
        self.went_resolving: set[str] = set()
        self.came_back: set[str] = set()

    async def load(self, tx: Tx, keys: set[str], fingerprints: set[str]) -> None:
        """The open groups of ``keys`` and their alerts among ``fingerprints`` (in chunks: a storm's
        batch may name more values than a database takes in one statement)."""
        for chunk in _chunks(keys):
            rows = await tx.execute(
                select(groups).where(groups.c.group_key.in_(chunk), groups.c.status.in_(OPEN))
            )
            self.groups.update({row.group_key: _row(row) for row in rows})
        by_id = {g["id"]: key for key, g in self.groups.items()}
        columns = [instances.c[name] for name in ("id", "group_id", "fingerprint", *_INSTANCE_FIELDS)]
        columns.remove(instances.c.annotations)  # always rewritten from the alert: not read back
        for ids in _chunks(by_id):
            for chunk in _chunks(fingerprints):
                found = await tx.execute(
                    select(*columns).where(instances.c.group_id.in_(ids), instances.c.fingerprint.in_(chunk))
                )
                for row in found:
                    self.instances[(by_id[row.group_id], row.fingerprint)] = _row(row)

    def apply(self, key: str, placement: Placement, alert: Alert) -> dict[str, Any] | None:
        """Fold one alert into its group; the group it touched, if any."""
        group = self.groups.get(key)
        if group is None:
            if alert.status == RESOLVED:
                return None  # the resolution of something never seen (or long closed): nothing to do
            group = self._open(key, placement, alert)
        self.changed_groups[key] = None
        group["updated_at"] = self.now
        ident = (key, alert.fingerprint)
        instance = self.instances.get(ident)
        if alert.status == FIRING:
            self._firing(key, group, ident, instance, alert)
        elif instance is not None and instance["status"] == FIRING:
            instance.update(status=RESOLVED, resolved_at=alert.ends_at or self.now)
            group["firing"] -= 1
            if group["firing"] == 0 and group["status"] == FIRING:
                group["status"] = RESOLVING
                self.went_resolving.add(key)
                self.came_back.discard(key)
        elif instance is not None:
            instance["repeats"] += 1
        if instance is not None:
            instance.update(last_seen_at=self.now, annotations=alert.annotations)
            self.changed_instances[ident] = None
        return group

    def _open(self, key: str, placement: Placement, alert: Alert) -> dict[str, Any]:
        source = key.split(":", 1)[0]
        group = {
            "id": None,
            "source": source,
            "group_key": key,
            "status": FIRING,
            "title": title_of(alert),
            "service": placement.service,
            "severity": placement.severity,
            "policy": None if placement.ticket_only else placement.policy,
            "room_id": placement.room,
            "ticket_only": placement.ticket_only,
            "labels": alert.labels,
            "firing": 0,
            "alerts": 0,
            "notifications": 0,
            "flaps": 0,
            "started_at": alert.starts_at or self.now,
            "detected_at": self.now,
            "updated_at": self.now,
            "resolved_at": None,
            "resolved_by": None,
            "acked_by": None,
            "acked_at": None,
            "page_id": None,
            "incident_id": None,
        }
        self.groups[key] = group
        self.placements[key] = placement
        return group

    def _firing(
        self,
        key: str,
        group: dict[str, Any],
        ident: tuple[str, str],
        instance: dict[str, Any] | None,
        alert: Alert,
    ) -> None:
        if alert.starts_at is not None and alert.starts_at < group["started_at"]:
            group["started_at"] = alert.starts_at
        if instance is None:
            self.instances[ident] = {
                "id": None,
                "group_id": group["id"],
                "fingerprint": alert.fingerprint,
                "status": FIRING,
                "labels": alert.labels,
                "annotations": alert.annotations,
                "url": alert.url,
                "starts_at": alert.starts_at,
                "resolved_at": None,
                "last_seen_at": self.now,
                "repeats": 0,
            }
            group["alerts"] += 1
            group["firing"] += 1
        elif instance["status"] == RESOLVED and _older(alert, instance):
            instance["repeats"] += 1  # a late (retried) firing of the episode that already ended
            self.changed_instances[ident] = None
            return
        elif instance["status"] == RESOLVED:
            if instance["resolved_at"] is not None and self.now - instance["resolved_at"] <= self.flap:
                group["flaps"] += 1
            instance.update(
                status=FIRING, resolved_at=None, last_seen_at=self.now, annotations=alert.annotations
            )
            group["firing"] += 1
        else:
            instance.update(
                repeats=instance["repeats"] + 1, last_seen_at=self.now, annotations=alert.annotations
            )
        self.changed_instances[ident] = None
        if group["status"] == RESOLVING:
            group["status"] = FIRING
            self.went_resolving.discard(key)
            self.came_back.add(key)


_GROUP_FIELDS = ("status", "firing", "alerts", "notifications", "flaps", "started_at", "updated_at")
_INSTANCE_FIELDS = ("status", "annotations", "resolved_at", "last_seen_at", "repeats")


async def store_batch(tx: Tx, received: Sequence[Received]) -> tuple[list[Stored], Batch]:
    """Store a batch of notifications and fold their alerts into groups (``actions`` acts on it)."""
    app = tx.app
    assert app is not None
    batch = Batch(app, app.clock.now())
    await tx.execute(
        insert(notifications),
        [
            {
                "source": r.source,
                "received_at": r.received_at,
                "alerts": len(r.notification.alerts),
                "body": r.body,
            }
            for r in received
        ],
    )
    placed = []
    for r in received:
        items = []
        for alert in r.notification.alerts:
            placement = batch.router.place(alert.labels)
            items.append((group_key(r.source, r.notification, placement, alert), placement, alert))
        placed.append(items)
    keys = {key for items in placed for key, _, _ in items}
    fingerprints = {alert.fingerprint for items in placed for _, _, alert in items}
    await batch.load(tx, keys, fingerprints)
    touched_by: list[tuple[int, ...]] = []
    touched_groups: list[list[dict[str, Any]]] = []
    for items in placed:
        touched: dict[str, dict[str, Any]] = {}
        for key, placement, alert in items:
            group = batch.apply(key, placement, alert)
            if group is not None:
                touched[key] = group
        for group in touched.values():
            group["notifications"] += 1
        touched_groups.append(list(touched.values()))
    await _write(tx, batch)
    for groups_of_one in touched_groups:
        touched_by.append(tuple(g["id"] for g in groups_of_one))
    return [Stored(ids) for ids in touched_by], batch


async def _write(tx: Tx, batch: Batch) -> None:
    new = list(batch.placements)  # the groups this batch opened, in the order it met them
    for key in new:
        group = batch.groups[key]
        values = {k: v for k, v in group.items() if k != "id"}
        group["id"] = (await tx.execute(insert(groups).values(**values))).inserted_primary_key[0]
    existing = [batch.groups[k] for k in batch.changed_groups if k not in batch.placements]
    if existing:
        await tx.execute(
            update(groups)
            .where(groups.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in _GROUP_FIELDS}),
            [{"b_id": g["id"], **{f"b_{name}": g[name] for name in _GROUP_FIELDS}} for g in existing],
        )
    fresh: list[dict[str, Any]] = []
    known: list[dict[str, Any]] = []
    for ident in batch.changed_instances:
        instance = batch.instances[ident]
        instance["group_id"] = batch.groups[ident[0]]["id"]
        (fresh if instance["id"] is None else known).append(instance)
    if fresh:
        await tx.execute(insert(instances), [{k: v for k, v in i.items() if k != "id"} for i in fresh])
    if known:
        await tx.execute(
            update(instances)
            .where(instances.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in _INSTANCE_FIELDS}),
            [{"b_id": i["id"], **{f"b_{name}": i[name] for name in _INSTANCE_FIELDS}} for i in known],
        )
