"""Every public change reaches every publisher: stored first, delivered after, retried with backoff.

Publishing stores one delivery row per publisher in the transaction that
publishes (rows before actions).  After the commit a worker delivers due
rows, each publisher on its own, so a failing one holds up no other.
A failure is retried with exponential backoff and reported in the
incident room; after ``MAX_ATTEMPTS`` the delivery is given up, loudly.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import insert, select, update

from chatops.state import per_app
from chatops_plugins.incident import store as incidents
from chatops_plugins.statuspage.tables import deliveries

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

log = logging.getLogger("chatops.statuspage")
MAX_ATTEMPTS = 12
FIRST_RETRY_S, LONGEST_RETRY_S = 5.0, 600.0


class PublishError(Exception):
    """A publisher could not deliver; the message says why (shown in the room)."""


class Publisher(Protocol):
    """Receives each public change (``change`` is plain JSON: see ``change_of``)."""

    async def deliver(self, app: App, change: dict[str, Any]) -> None: ...


def publishers(app: App) -> dict[str, Publisher]:
    found: dict[str, Publisher] = {}
    for _plugin, part in app.hooks.call_sync("chatops_statuspage_publishers", app=app):
        found.update(part)
    return found


async def queue(tx: Tx, app: App, change: dict[str, Any]) -> None:
    """One delivery row per publisher, in the publishing transaction."""
    now = app.clock.now()
    rows = [
        {
            "publisher": name,
            "incident_id": change.get("incident_id"),
            "status_incident_id": change["status_incident_id"],
            "change": change,
            "attempts": 0,
            "next_at": now,
        }
        for name in publishers(app)
    ]
    if rows:
        await tx.execute(insert(deliveries), rows)
        worker = worker_of(app)
        tx.after_commit(worker.kick)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(LONGEST_RETRY_S, FIRST_RETRY_S * 2 ** max(0, attempts - 1)))


class Worker:
    """Delivers due rows; on a real clock it sleeps until the next one is due."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running = asyncio.Lock()

    async def kick(self) -> None:
        self._wake.set()
        if self.app.clock.fake:
            await self.run_due()  # tests move time themselves; deliveries happen when asked
        elif self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="statuspage-deliveries")

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_due()
                due = await self.next_due()
            except Exception:
                log.exception("a status page delivery pass failed")
                due = self.app.clock.now() + timedelta(seconds=FIRST_RETRY_S)
            if due is None:
                await self._wake.wait()
            else:
                await self.app.clock.sleep_until(due, self._wake)

    async def next_due(self) -> datetime | None:
        async with self.app.db.read() as conn:
            query = select(deliveries.c.next_at).where(
                deliveries.c.delivered_at.is_(None), deliveries.c.gave_up_at.is_(None)
            )
            return await conn.scalar(query.order_by(deliveries.c.next_at).limit(1))

    async def run_due(self) -> int:
        """Deliver what is due, publishers in parallel; each publisher's rows strictly in order (a row
        waiting for its retry holds back the later ones, so an external page never goes backwards)."""
        async with self._running:
            now = self.app.clock.now()
            async with self.app.db.read() as conn:
                rows = (
                    await conn.execute(
                        select(deliveries)
                        .where(deliveries.c.delivered_at.is_(None), deliveries.c.gave_up_at.is_(None))
                        .order_by(deliveries.c.id)
                    )
                ).all()
            by_publisher: dict[str, list[Any]] = {}
            for row in rows:
                by_publisher.setdefault(row.publisher, []).append(row)
            known = publishers(self.app)
            ready = {p: r for p, r in by_publisher.items() if r[0].next_at <= now}
            done = await asyncio.gather(*(self._deliver_in_order(known.get(p), r) for p, r in ready.items()))
            return sum(done)

    async def _deliver_in_order(self, publisher: Publisher | None, rows: list[Any]) -> int:
        sent = 0
        for row in rows:
            if not await self._deliver(publisher, row):
                break
            sent += 1
        return sent + (0 if sent == len(rows) else 1)  # the attempt that failed counts as a delivery tried

    async def _deliver(self, publisher: Publisher | None, row: Any) -> bool:
        now = self.app.clock.now()
        if publisher is None:  # removed from the config: nothing to retry

            async def drop(tx: Tx) -> None:
                await tx.execute(
                    update(deliveries)
                    .where(deliveries.c.id == row.id)
                    .values(gave_up_at=now, error="the publisher is no longer configured")
                )

            await self.app.db.write(drop)
            return True
        payload = {k: v for k, v in dict(row.change).items() if k != "incident_id"}  # internal: stays here
        payload["delivery_id"] = f"{row.publisher}:{row.id}"  # a receiver can drop a repeat by it
        try:
            await asyncio.wait_for(publisher.deliver(self.app, payload), timeout=30)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, PublishError) else f"{exc.__class__.__name__}: {exc}"
            if not isinstance(exc, PublishError):
                log.exception("status page publisher %s failed", row.publisher)
            attempts = row.attempts + 1
            gave_up = attempts >= MAX_ATTEMPTS

            async def fail(tx: Tx) -> None:
                values: dict[str, Any] = {"attempts": attempts, "error": reason[:1000]}
                values.update({"gave_up_at": now} if gave_up else {"next_at": now + backoff(attempts)})
                await tx.execute(update(deliveries).where(deliveries.c.id == row.id).values(**values))

            await self.app.db.write(fail)
            if attempts == 1 or gave_up:
                await self._tell(row, reason, attempts, gave_up)
            return False

        async def done(tx: Tx) -> None:
            await tx.execute(
                update(deliveries).where(deliveries.c.id == row.id).values(delivered_at=now, error=None)
            )

        await self.app.db.write(done)
        return True

    async def _tell(self, row: Any, reason: str, attempts: int, gave_up: bool) -> None:
        if row.incident_id is None:
            return
        async with self.app.db.read() as conn:
            incident = await incidents.get(conn, row.incident_id)
        if incident is None or not incident.room_id:
            return
        if gave_up:
            text = f"⚠️ The {row.publisher} status page never took this update ({attempts} tries): {reason}"
        else:
            retry = backoff(attempts).total_seconds()
            text = (
                f"⚠️ The {row.publisher} status page did not take this update: {reason}. "
                f"Retrying in {retry:g} s."
            )
        await self.app.outbound.send(incident.room_id, text)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None


worker_of = per_app(Worker)
