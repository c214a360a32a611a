"""Action items copied to the team's tracker, and closed here when they are closed there.

Adding an action item queues one core delivery (``chatops.deliveries``) per
exporter (the collected hook ``chatops_action_item_export``) in the
transaction that stores the item: the item and its way out commit together,
and a tracker that is down is retried with backoff.  The delivery reads the
item as it is then, asks the exporter to create the issue, and stores the
link (``action_item_links``) together with the chat message that names it.
An item that already has its link (the process died after storing it) is
not created twice; one closed before its issue could be created is not
created at all.  A tracker that created the issue without our hearing back
may see it twice: at least once, as every delivery.

A tracker's webhook calls ``closed_in_tracker`` or ``reopened_in_tracker``
with the issue's id: closing marks the item done (as ``!action done``, by
the tracker's user, saying where), reopening reopens it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select, update

from chatops import events as event_log
from chatops.deliveries import backoff
from chatops_plugins.incident import store as incidents
from chatops_plugins.incident.events import stream_of
from chatops_plugins.oncall import people
from chatops_plugins.postmortem import store
from chatops_plugins.postmortem.config import PostmortemConfig
from chatops_plugins.postmortem.tables import action_item_links, action_items, postmortems

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

log = logging.getLogger("chatops.postmortem")
KIND = "postmortem.action_export"


@dataclass(frozen=True, slots=True)
class ExportedItem:
    """What an exporter receives: the action item as it is when its issue is created."""

    item_id: int
    ref: str  # AI-3
    text: str
    owner_id: str  # the chat account (slack:U0123)
    owner_name: str  # the chat name (bob)
    owner_person: str | None  # the person's key in oncall.people, when the account is known
    due: str  # ISO date
    incident_ref: str  # INC-42
    incident_title: str
    postmortem: str | None  # where the published postmortem is (a URL or a path), if published
    delivery_id: str  # kind:id, the same on every attempt


@dataclass(frozen=True, slots=True)
class ExternalIssue:
    """The issue a tracker created: its id as the tracker's webhooks name it, a short ref, a URL."""

    external_id: str  # 42 (GitHub number, GitLab iid) or OPS-7 (Jira key)
    ref: str  # github#42, gitlab#7, OPS-7
    url: str


class Exporter(Protocol):
    """Creates an issue for an action item; raises (``DeliveryError``: why, for people) to be retried."""

    async def create(self, app: App, item: ExportedItem) -> ExternalIssue: ...


def exporters(app: App) -> dict[str, Exporter]:
    found: dict[str, Exporter] = {}
    for _plugin, part in app.hooks.call_sync("chatops_action_item_export", app=app):
        found.update(part)
    return found


async def queue(tx: Tx, app: App, item_id: int, room_id: str) -> None:
    """One delivery per exporter, in the transaction that adds the item (none without a tracker)."""
    for name in exporters(app):
        payload = {"exporter": name, "item_id": item_id, "room_id": room_id}
        await app.deliveries.queue(tx, KIND, payload, key=f"{KIND}:{name}:{item_id}")


def place(published_to: list[str] | None) -> str | None:
    """Where to point a reader: the first URL a publisher gave, else the first path."""
    places = [p for part in published_to or [] for p in str(part).split(", ") if p]
    return next((p for p in places if p.startswith(("https://", "http://"))), places[0] if places else None)


async def _item(app: App, conn: Any, item_id: int, delivery_id: str) -> tuple[Any, ExportedItem] | None:
    row = (await conn.execute(select(action_items).where(action_items.c.id == item_id))).first()
    if row is None:
        return None
    incident = await incidents.get(conn, row.incident_id)
    published = (
        await conn.execute(select(postmortems).where(postmortems.c.incident_id == row.incident_id))
    ).first()
    where = None
    if published is not None and published.status == store.PUBLISHED:
        where = place(published.published_to)
    item = ExportedItem(
        item_id=row.id,
        ref=f"AI-{row.id}",
        text=row.text,
        owner_id=row.owner_id,
        owner_name=row.owner_name,
        owner_person=await people.person_of(app, conn, row.owner_id),
        due=row.due,
        incident_ref=f"INC-{row.incident_id}",
        incident_title=incident.title if incident is not None else "",
        postmortem=where,
        delivery_id=delivery_id,
    )
    return row, item


async def _link(conn: Any, item_id: int, exporter: str) -> Any:
    query = select(action_item_links).where(
        action_item_links.c.item_id == item_id, action_item_links.c.exporter == exporter
    )
    return (await conn.execute(query)).first()


class Exporting:
    """The delivery kind: creates the item's issue through its exporter, stores the link, says so."""

    max_attempts = 10
    first_retry_s = 30.0  # 30 s, 1 min, 2 min, … 10 min: about an hour in all

    async def deliver(self, app: App, payload: dict[str, Any], delivery_id: str) -> None:
        name = payload["exporter"]
        exporter = exporters(app).get(name)
        if exporter is None:
            log.warning("tracker %s is no longer configured; AI-%s not exported", name, payload["item_id"])
            return
        async with app.db.read() as conn:
            found = await _item(app, conn, payload["item_id"], delivery_id)
            if found is None or await _link(conn, payload["item_id"], name) is not None:
                return
        row, item = found
        if row.status != store.OPEN:
            log.info("AI-%s was closed before its issue was created in %s; not exported", row.id, name)
            return
        issue = await exporter.create(app, item)

        async def write(tx: Tx) -> None:
            if await _link(tx, row.id, name) is not None:
                return
            await tx.execute(
                action_item_links.insert().values(
                    item_id=row.id,
                    exporter=name,
                    external_id=issue.external_id,
                    ref=issue.ref,
                    url=issue.url,
                    created_at=app.clock.now(),
                )
            )
            await tx.send(payload["room_id"], f"{item.ref} is {issue.ref}: {issue.url}")

        await app.db.write(write)

    async def failed(
        self, app: App, payload: dict[str, Any], reason: str, attempts: int, gave_up: bool
    ) -> None:
        if not (attempts == 1 or gave_up):
            return
        async with app.db.read() as conn:
            row = (
                await conn.execute(select(action_items).where(action_items.c.id == payload["item_id"]))
            ).first()
            incident = await incidents.get(conn, row.incident_id) if row is not None else None
        room = incident.room_id if incident is not None and incident.room_id else payload["room_id"]
        name, ref = payload["exporter"], f"AI-{payload['item_id']}"
        if gave_up:
            text = (
                f"⚠️ {ref} was never created in {name} ({attempts} tries): {reason}. "
                "It is still tracked here: !actions"
            )
        else:
            retry = backoff(attempts, self.first_retry_s).total_seconds()
            text = f"⚠️ {ref} could not be created in {name}: {reason}. Retrying in {retry:g} s."
        await app.outbound.send(room, text)


# --- back from the tracker (its webhooks) ---


@dataclass(frozen=True, slots=True)
class Synced:
    """What a webhook did: ``changed`` is False when there was nothing to do, and ``note`` says why."""

    changed: bool
    note: str


async def _linked_item(tx: Tx, exporter: str, external_id: str) -> tuple[Any, Any] | None:
    query = select(action_item_links).where(
        action_item_links.c.exporter == exporter, action_item_links.c.external_id == external_id
    )
    link = (await tx.execute(query)).first()
    if link is None:
        return None
    row = (await tx.execute(select(action_items).where(action_items.c.id == link.item_id))).first()
    return None if row is None else (link, row)


async def _tell(tx: Tx, row: Any, text: str) -> None:
    incident = await incidents.get(tx, row.incident_id)
    if incident is not None and incident.room_id:
        await tx.send(incident.room_id, text)


async def closed_in_tracker(
    app: App, exporter: str, external_id: str, *, by: str, dropped: str | None = None
) -> Synced:
    """The issue was closed in the tracker: its open item is done (or dropped, saying ``dropped``).

    ``by`` is the tracker's user (``octocat``); the item is closed by ``<exporter>:<by>``, as
    ``!action done`` would be, and the timeline and the incident room say where.
    """

    async def write(tx: Tx) -> Synced:
        found = await _linked_item(tx, exporter, external_id)
        if found is None:
            return Synced(False, f"no action item is linked to {exporter} issue {external_id}")
        link, row = found
        if row.status != store.OPEN:
            return Synced(False, f"AI-{row.id} is already {row.status}")
        status = store.DROPPED if dropped else store.DONE
        where = f"closed in {link.ref} by {by}"
        line = f"AI-{row.id} {status} ({where})" + (f": {dropped}" if dropped else "")
        actor = f"{exporter}:{by}"
        await store.close(tx, row, status, by=actor, at=app.clock.now(), reason=dropped, line=line)
        await _tell(tx, row, f"AI-{row.id} {status} — {where}: {row.text}")
        return Synced(True, f"AI-{row.id} {status}")

    return await app.db.write(write)


async def reopened_in_tracker(app: App, exporter: str, external_id: str, *, by: str) -> Synced:
    """The issue was reopened in the tracker: its closed item is open again, and reminds its owner again."""
    settings: PostmortemConfig = app.section("postmortem")

    async def write(tx: Tx) -> Synced:
        found = await _linked_item(tx, exporter, external_id)
        if found is None:
            return Synced(False, f"no action item is linked to {exporter} issue {external_id}")
        link, row = found
        if row.status == store.OPEN:
            return Synced(False, f"AI-{row.id} is already open")
        now = app.clock.now()
        await tx.execute(
            update(action_items)
            .where(action_items.c.id == row.id)
            .values(status=store.OPEN, closed_at=None, closed_by=None, drop_reason=None)
        )
        due = store.remind_at(app.tz, date.fromisoformat(row.due), settings.remind_at)
        await app.scheduler.schedule(
            tx,
            kind=store.REMIND,
            key=store.reminder_key(row.id),
            due_at=max(due, now),
            payload={"item_id": row.id},
        )
        where = f"reopened in {link.ref} by {by}"
        event = store.ActionItemReopened(
            stream=stream_of(row.incident_id),
            at=now,
            actor=f"{exporter}:{by}",
            item_id=row.id,
            text=f"AI-{row.id} reopened ({where})",
        )
        await event_log.record(tx, event)
        await _tell(
            tx, row, f"AI-{row.id} open again — {where}: {row.text} (@{row.owner_name}, due {row.due})"
        )
        return Synced(True, f"AI-{row.id} reopened")

    return await app.db.write(write)


__all__ = [
    "ExportedItem",
    "Exporter",
    "ExternalIssue",
    "Synced",
    "closed_in_tracker",
    "exporters",
    "reopened_in_tracker",
]
