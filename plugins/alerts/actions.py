"""What alert groups call for: posting, paging, declaring, holding, resolving, editing.

``store`` runs inside the intake's write: it stores a batch (``intake``),
then acts on what changed in the same transaction (pages and messages are
rows before they are actions).  Messages are edited by one ``Refresher``
per app, which coalesces: a storm of repeats costs one edit per group.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from chatops import events as event_log
from chatops.batching import Batcher
from chatops.models.chat import User, transport_of
from chatops.state import per_app
from chatops_plugins.alerts import render
from chatops_plugins.alerts.events import (
    AlertGroupAcknowledged,
    AlertGroupFired,
    AlertGroupLinked,
    AlertGroupResolved,
    record,
)
from chatops_plugins.alerts.intake import (
    OPEN,
    RESOLVED,
    RESOLVING,
    Batch,
    Received,
    Stored,
    settings,
    store_batch,
)
from chatops_plugins.alerts.routing import Placement
from chatops_plugins.alerts.tables import groups, instances
from chatops_plugins.incident import api as incidents
from chatops_plugins.incident import rooms
from chatops_plugins.oncall import paging
from chatops_plugins.oncall.config import OncallConfig

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.scheduler import Timer
    from chatops.storage.db import Tx

log = logging.getLogger("chatops.alerts")
RESOLVE_TIMER = "alerts.resolve"
ALERTS = User(id="alerts", name="alerts")


TAG_PREFIX = "alert:"


def tag(group_id: int) -> str:
    return f"{TAG_PREFIX}{group_id}"


def _timer_key(group_id: int) -> str:
    return f"alerts:resolve:{group_id}"


async def store(tx: Tx, received: Sequence[Received]) -> list[Stored]:
    """Store a batch of notifications and act on what it changed, in one transaction."""
    stored, batch = await store_batch(tx, received)
    await _act(tx, batch)
    return stored


async def _act(tx: Tx, batch: Batch) -> None:
    app = batch.app
    for key, placement in batch.placements.items():
        alerts = [i for (k, _), i in batch.instances.items() if k == key]
        await _opened(tx, batch.groups[key], placement, alerts)
    for key in batch.went_resolving:
        group_id = batch.groups[key]["id"]
        await app.scheduler.schedule(
            tx,
            kind=RESOLVE_TIMER,
            key=_timer_key(group_id),
            due_at=batch.now + batch.flap,
            payload={"group_id": group_id},
        )
    for key in batch.came_back:
        await app.scheduler.cancel(tx, _timer_key(batch.groups[key]["id"]))
    changed = {batch.groups[key]["id"] for key in batch.changed_groups} - {
        batch.groups[key]["id"] for key in batch.placements
    }
    if changed:
        refresher = refresher_of(app)
        tx.after_commit(lambda: refresher.show(changed))


async def _page(tx: Tx, group: dict[str, Any]) -> paging.Page | None:
    app = tx.app
    assert app is not None
    name = group["policy"]
    oncall: OncallConfig = app.section("oncall")
    policy = oncall.policy(name)
    if policy is None:
        log.error(
            "alert group %s: no escalation policy %r in oncall.policies; nobody paged", group["id"], name
        )
        return None
    return await paging.start(
        tx,
        target=f"policy:{name}",
        policy=policy,
        message=f"{render.ref(group['id'])} {group['title']}",
        severity=group["severity"],
        incident_id=group["incident_id"],
        room_id=None,  # the group's own message shows the page: one message per group
        actor=ALERTS.id,
    )


async def _opened(tx: Tx, group: dict[str, Any], placement: Placement, alerts: list[dict[str, Any]]) -> None:
    """A new group: page its policy, declare if its route says so, post it, record it."""
    app = tx.app
    assert app is not None
    page = await _page(tx, group) if group["policy"] else None
    if page is not None:
        group["page_id"] = page.id
    if placement.declare:
        incident = await incidents.declare(
            tx,
            app,
            title=group["title"],
            severity=group["severity"],
            severity_confirmed=True,
            declarer=ALERTS,
            origin_room_id=group["room_id"],
            started_at=group["started_at"],
            detected_at=group["detected_at"],
            services=[group["service"]] if group["service"] else [],
            paged=page is not None,
            declarer_is_ic=False,
        )
        group["incident_id"] = incident.id
        if page is not None:
            await paging.link_incident(tx, page, incident.id)
        tx.after_commit(lambda: _opened_room(app, incident.id, group["room_id"]))
    await tx.execute(
        update(groups)
        .where(groups.c.id == group["id"])
        .values(page_id=group["page_id"], incident_id=group["incident_id"])
    )
    what = f"{group['firing']} firing"
    await record(tx, group, AlertGroupFired, f"{render.ref(group['id'])} fired: {group['title']} ({what})")
    if group["room_id"]:
        content = render.content(group, alerts, app.tz, app.clock.now(), await paging_line(app, tx, group))
        await tx.send(group["room_id"], content, tag=tag(group["id"]))


def check_policies(app: App) -> None:
    """Say at start which routes or services name an escalation policy that does not exist."""
    config = settings(app)
    known: OncallConfig = app.section("oncall")
    named = [(f"alerts.routes.{i}", r.policy) for i, r in enumerate(config.routes)]
    named += [(f"alerts.services.{n}", s.policy) for n, s in config.services.items()]
    named.append(("alerts.default_policy", config.default_policy))
    for where, policy in named:
        if policy is not None and known.policy(policy) is None:
            log.error("%s: no escalation policy %r in oncall.policies; its alerts page nobody", where, policy)


async def paging_line(app: App, conn: Any, group: dict[str, Any]) -> str | None:
    """How the group's page stands, for its message."""
    page = await paging.get(conn, group["page_id"]) if group["page_id"] else None
    if page is None:
        policy = group["policy"]
        known: OncallConfig = app.section("oncall")
        if policy and known.policy(policy) is None:
            return f"⚠️ Nobody paged: there is no escalation policy {policy!r} in oncall.policies."
        return None
    reached = sorted(await paging.reached(conn, page.id))
    who = ", ".join(f"@{p}" for p in reached) or "nobody (no one on call)"
    if page.state == paging.EXHAUSTED:
        return f"{page.ref}: nobody acknowledged ({who} paged). Page someone: !page @<person> <message>"
    if page.state == paging.STOPPED:
        return f"{page.ref} stopped."
    if page.state == paging.ACKNOWLEDGED:
        return f"{page.ref} paged {who}; acknowledged."
    return (
        f"{page.ref} paging {who} ({page.policy.position(page.step, page.cycle)}, policy {page.policy.name})."
    )


async def _opened_room(app: App, incident_id: int, origin_room_id: str | None) -> None:
    await rooms.open_room_by_id(app, incident_id, origin_room_id)


async def get(conn: Any, group_id: int) -> dict[str, Any] | None:
    row = (await conn.execute(select(groups).where(groups.c.id == group_id))).first()
    return None if row is None else dict(row._mapping)


async def alerts_of(conn: Any, group_id: int) -> list[dict[str, Any]]:
    rows = await conn.execute(select(instances).where(instances.c.group_id == group_id))
    return [dict(row._mapping) for row in rows]


async def close(tx: Tx, group: dict[str, Any], by: str | None) -> None:
    """Resolve a group (its alerts resolved and held long enough, or a person said so)."""
    app = tx.app
    assert app is not None
    now = app.clock.now()
    await tx.execute(
        update(groups)
        .where(groups.c.id == group["id"])
        .values(status=RESOLVED, resolved_at=now, resolved_by=by, updated_at=now)
    )
    await app.scheduler.cancel(tx, _timer_key(group["id"]))
    who = f"by @{by}" if by else "all alerts resolved"
    await record(
        tx, group, AlertGroupResolved, f"{render.ref(group['id'])} resolved ({who})", by or ALERTS.id
    )
    page = await paging.get(tx, group["page_id"]) if group["page_id"] else None
    reason = f"alert {render.ref(group['id'])} resolved"
    if page is not None and page.is_open:
        stopped = await paging.stop(tx, page, reason, by or ALERTS.id)
        tx.after_commit(lambda: paging.show_stopped(app, stopped, reason))
    room = group["room_id"]
    transport = app.transports.get(transport_of(room)) if room else None
    if room and transport is not None and not transport.capabilities.edits:
        await tx.send(room, f"✅ {render.headline(group)} — resolved ({who}).", tag=tag(group["id"]))
    refresher = refresher_of(app)
    tx.after_commit(lambda: refresher.show({group["id"]}))


async def resolve_after_hold(tx: Tx, timer: Timer) -> None:
    """The flap window passed with every alert of the group resolved: the group is resolved."""
    group = await get(tx, timer.payload["group_id"])
    if group is not None and group["status"] == RESOLVING:
        await close(tx, group, by=None)


async def page_changed(tx: Tx, page_id: int) -> None:
    """The group's page moved on or was acknowledged (here or with !ack): its message follows."""
    app = tx.app
    assert app is not None
    page = await paging.get(tx, page_id)
    if page is None:
        return
    if page.state == paging.ACKNOWLEDGED:
        await tx.execute(
            update(groups)
            .where(groups.c.page_id == page_id, groups.c.acked_by.is_(None))
            .values(acked_by=page.acked_by, acked_at=page.acked_at)
        )
    rows = await tx.execute(select(groups.c.id).where(groups.c.page_id == page_id))
    ids = {row.id for row in rows}
    if ids:
        refresher = refresher_of(app)
        tx.after_commit(lambda: refresher.show(ids))


async def acknowledge(tx: Tx, group: dict[str, Any], person: str, by: User) -> paging.Page | None:
    """Acknowledge a group: its page stops escalating (and shows who), or it is marked if it paged no one."""
    app = tx.app
    assert app is not None
    page = await paging.get(tx, group["page_id"]) if group["page_id"] else None
    if page is not None and page.is_open:
        return await paging.acknowledge(tx, page, person, by)  # the observer marks the group
    now = app.clock.now()
    await tx.execute(update(groups).where(groups.c.id == group["id"]).values(acked_by=person, acked_at=now))
    text = f"{render.ref(group['id'])} acknowledged by @{person}"
    await record(tx, group, AlertGroupAcknowledged, text, by.id)
    refresher = refresher_of(app)
    tx.after_commit(lambda: refresher.show({group["id"]}))
    return None


async def link(tx: Tx, group: dict[str, Any], incident_id: int, by: User) -> None:
    """The group belongs to an incident now: its page and its later events land in the timeline."""
    app = tx.app
    assert app is not None
    await tx.execute(update(groups).where(groups.c.id == group["id"]).values(incident_id=incident_id))
    page = await paging.get(tx, group["page_id"]) if group["page_id"] else None
    if page is not None:
        await paging.link_incident(tx, page, incident_id)
    text = (
        f"Alert group {render.ref(group['id'])} linked: {group['title']} "
        f"({group['firing']} firing; impact began {group['started_at']:%H:%M} UTC, "
        f"detected {group['detected_at']:%H:%M} UTC)"
    )
    await event_log.record(
        tx,
        AlertGroupLinked(
            stream=f"incident:{incident_id}",
            at=app.clock.now(),
            actor=by.id,
            group_id=group["id"],
            text=text,
            group_key=group["group_key"],
        ),
    )
    refresher = refresher_of(app)
    tx.after_commit(lambda: refresher.show({group["id"]}))


class Refresher:
    """Edits each changed group's message to its latest state; many changes, one edit.

    While groups keep changing, passes run at most every ``alerts.edit_every``.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self._dirty: set[int] = set()
        self._task: asyncio.Task[None] | None = None

    async def show(self, group_ids: set[int]) -> None:
        self._dirty |= group_ids
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="alerts-refresher")

    async def _run(self) -> None:
        pause = settings(self.app).edit_interval().total_seconds()
        while self._dirty:
            batch, self._dirty = self._dirty, set()
            for group_id in sorted(batch):
                try:
                    await self._edit(group_id)
                except Exception:
                    log.exception("refreshing the message of alert group %s failed", group_id)
            if self._dirty and pause:
                # Still changing: gather what comes next into one more edit each (platforms
                # limit edits to about one a second per channel). Rate limiting, not synchronisation.
                await asyncio.sleep(pause)

    async def _edit(self, group_id: int) -> None:
        async with self.app.db.read() as conn:
            group = await get(conn, group_id)
            if group is None:
                return
            alerts = await alerts_of(conn, group_id)
            page = await paging_line(self.app, conn, group)
        content = render.content(group, alerts, self.app.tz, self.app.clock.now(), page)
        for ref in await self.app.outbound.sent_with_tag(tag(group_id)):
            await self.app.outbound.edit(ref, content)

    async def idle(self) -> None:
        """Return once every change shown so far is edited in (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)


refresher_of = per_app(Refresher)


def _batcher(app: App) -> Batcher[Received, Stored]:
    async def handle(items: Sequence[Received]) -> list[Stored]:
        return await app.db.write(lambda tx: store(tx, items), answer_at_commit=True)

    return Batcher(handle)


intake_of = per_app(_batcher)


async def open_groups(conn: Any) -> list[dict[str, Any]]:
    rows = await conn.execute(select(groups).where(groups.c.status.in_(OPEN)).order_by(groups.c.id))
    return [dict(row._mapping) for row in rows]
