"""Deliveries to systems other than chat — e-mail, push, SMS, webhooks: stored first, sent after, retried.

Chat messages have the outbox; everything else a plugin sends out goes
here.  ``queue(tx, kind, payload, key=...)`` stores a row in the caller's
transaction (rows before actions; a key queued twice is stored once).
After the commit the serving process delivers due rows through the kind's
``Delivery`` (``chatops_delivery_kinds``), each attempt bounded, a failure
retried with exponential backoff until the kind's ``max_attempts``.  Rows of
one ``lane`` go strictly in order (a status page never goes backwards); rows
without a lane are independent.  The kind hears of each failure, so it can
report it, or do something else when a channel keeps failing.

A delivery that was sent but whose success was not yet stored when the
process died is sent again after the restart: at least once, with the
delivery's id (``kind:id``) for receivers that can drop a repeat.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import func, select, update

from chatops.storage.tables import deliveries

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

log = logging.getLogger("chatops.deliveries")
ATTEMPT_TIMEOUT_S = 30.0
FIRST_RETRY_S, LONGEST_RETRY_S = 5.0, 600.0


class DeliveryError(Exception):
    """The receiving system did not take it; the message says why, in words for people."""


class Delivery(Protocol):
    """How one kind of delivery is sent.  Optional attributes: ``max_attempts`` (default 12),
    ``first_retry_s`` (default 5; doubling, at most 10 minutes), and an ``async failed(app, payload,
    reason, attempts, gave_up)`` that hears of each failed attempt."""

    async def deliver(self, app: App, payload: dict[str, Any], delivery_id: str) -> None: ...


def backoff(attempts: int, first_s: float = FIRST_RETRY_S) -> timedelta:
    return timedelta(seconds=min(LONGEST_RETRY_S, first_s * 2 ** max(0, attempts - 1)))


class Deliveries:
    def __init__(self, app: App) -> None:
        self.app = app
        self._kinds: dict[str, Delivery] | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running = asyncio.Lock()

    @property
    def kinds(self) -> dict[str, Delivery]:
        if self._kinds is None:
            self._kinds = {}
            for _plugin, part in self.app.hooks.call_sync("chatops_delivery_kinds", app=self.app):
                self._kinds.update(part)
        return self._kinds

    async def queue(
        self, tx: Tx, kind: str, payload: dict[str, Any], *, key: str, lane: str | None = None
    ) -> bool:
        """Store a delivery in ``tx`` (sent after the commit); False when ``key`` was queued before."""
        known = await tx.execute(select(deliveries.c.id).where(deliveries.c.key == key))
        if known.first() is not None:
            return False
        now = self.app.clock.now()
        await tx.execute(
            deliveries.insert().values(
                kind=kind,
                key=key,
                lane=lane or key,
                payload=payload,
                attempts=0,
                created_at=now,
                next_at=now,
            )
        )
        tx.after_commit(self.kick)
        return True

    async def kick(self) -> None:
        if not self.app.serving:
            return  # the serving process (or this one, once it serves) delivers it
        self._wake.set()
        if self.app.clock.fake:
            await self.run_due()  # tests move time themselves; deliveries happen when asked
        elif self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop(), name="chatops-deliveries")

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_due()
                due = await self.next_due()
            except Exception:
                log.exception("a delivery pass failed")
                due = self.app.clock.now() + timedelta(seconds=FIRST_RETRY_S)
            if due is None:
                await self._wake.wait()
            else:
                await self.app.clock.sleep_until(due, self._wake)

    async def next_due(self) -> datetime | None:
        """When the next attempt is due: the earliest among the first waiting row of each lane."""
        waiting = (deliveries.c.delivered_at.is_(None), deliveries.c.gave_up_at.is_(None))
        heads = select(func.min(deliveries.c.id)).where(*waiting).group_by(deliveries.c.lane)
        async with self.app.db.read() as conn:
            return await conn.scalar(select(func.min(deliveries.c.next_at)).where(deliveries.c.id.in_(heads)))

    async def run_due(self) -> int:
        """Deliver what is due, lanes in parallel, each lane in order; returns the attempts made."""
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
            lanes: dict[str, list[Any]] = {}
            for row in rows:
                lanes.setdefault(row.lane, []).append(row)
            ready = [lane for lane in lanes.values() if lane[0].next_at <= now]
            return sum(await asyncio.gather(*(self._lane(rows) for rows in ready)))

    async def _lane(self, rows: list[Any]) -> int:
        tried = 0
        for row in rows:
            tried += 1
            if not await self._deliver(row):
                break
        return tried

    async def _claim(self, row: Any, until: datetime) -> bool:
        """Take the row for one attempt: another process that read it too finds it taken.

        Should this process die mid-attempt, the row is due again at ``until``.
        """

        async def write(tx: Tx) -> bool:
            taken = await tx.execute(
                update(deliveries)
                .where(
                    deliveries.c.id == row.id,
                    deliveries.c.next_at == row.next_at,
                    deliveries.c.delivered_at.is_(None),
                    deliveries.c.gave_up_at.is_(None),
                )
                .values(next_at=until)
            )
            return bool(taken.rowcount)

        return await self.app.db.write(write)

    async def _deliver(self, row: Any) -> bool:
        now = self.app.clock.now()
        kind = self.kinds.get(row.kind)
        if kind is None:  # its plugin is disabled or failed to load: kept, and tried again later
            log.warning("no plugin delivers %s (delivery %s); it waits", row.kind, row.id)
            await self._store(row.id, next_at=now + timedelta(seconds=LONGEST_RETRY_S))
            return False
        if not await self._claim(row, now + timedelta(seconds=ATTEMPT_TIMEOUT_S + 5)):
            return False  # another process has it
        try:
            await asyncio.wait_for(
                kind.deliver(self.app, dict(row.payload), f"{row.kind}:{row.id}"), ATTEMPT_TIMEOUT_S
            )
        except Exception as exc:
            if isinstance(exc, DeliveryError):
                reason = str(exc)
            elif isinstance(exc, TimeoutError):
                reason = f"no answer within {ATTEMPT_TIMEOUT_S:g}s"
            else:
                log.exception("delivery %s:%s failed", row.kind, row.id)
                reason = f"{type(exc).__name__} (logged)"
            await self._failed(kind, row, reason)
            return False
        await self._store(row.id, delivered_at=self.app.clock.now(), error=None)
        return True

    async def _failed(self, kind: Delivery, row: Any, reason: str) -> None:
        attempts = row.attempts + 1
        gave_up = attempts >= getattr(kind, "max_attempts", 12)
        now = self.app.clock.now()
        retry = now + backoff(attempts, getattr(kind, "first_retry_s", FIRST_RETRY_S))
        await self._store(
            row.id,
            attempts=attempts,
            error=reason[:1000],
            **({"gave_up_at": now} if gave_up else {"next_at": retry}),
        )
        told = getattr(kind, "failed", None)
        if told is not None:
            try:
                await told(self.app, dict(row.payload), reason, attempts, gave_up)
            except Exception:
                log.exception("reporting the failure of delivery %s:%s failed", row.kind, row.id)

    async def _store(self, row_id: int, **values: Any) -> None:
        async def write(tx: Tx) -> None:
            await tx.execute(update(deliveries).where(deliveries.c.id == row_id).values(**values))

        await self.app.db.write(write)

    async def stop(self) -> None:
        """Let the pass under way finish (each attempt is bounded), then stop: a graceful stop
        does not cut an attempt off after the other side took it but before it was stored."""
        if self._task is None:
            return
        try:
            async with asyncio.timeout(ATTEMPT_TIMEOUT_S + 5):
                async with self._running:
                    self._task.cancel()
        except TimeoutError:
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
