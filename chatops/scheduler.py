"""Durable timers: rows with a due time and an idempotency key, fired once.

A timer is claimed and its handler run inside one write transaction (due
timers are claimed in batches, each handler in its own savepoint), so the
claim and whatever the handler stores (including messages queued with
``tx.send``, delivered after the commit) land together: a restart neither
loses a pending timer nor fires a fired one again.  On PostgreSQL the claim
uses ``FOR UPDATE SKIP LOCKED`` so replicas never take the same timer.

On a real clock a background loop sleeps until the next due time (woken
early when an earlier timer is scheduled).  On a fake clock nothing fires
until ``App.advance`` moves time, which fires each due timer at its own
due time, in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update

from chatops.storage.db import SavepointTx
from chatops.storage.tables import timers

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

log = logging.getLogger("chatops.scheduler")
BATCH = 32  # timers claimed and fired per commit (their pages go out after it)


class _HandlerFailed(Exception):
    """A timer handler failed in an optimistic batch: the batch is rolled back and isolated."""


@dataclass(frozen=True, slots=True)
class Timer:
    id: int
    key: str
    kind: str
    due_at: datetime
    payload: dict[str, Any]


TimerHandler = Callable[["Tx", Timer], Awaitable[None]]


class Scheduler:
    def __init__(self, app: App) -> None:
        self.app = app
        self.handlers: dict[str, TimerHandler] = {}
        self.owners: dict[str, str] = {}  # timer kind -> the plugin that handles it
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def schedule(
        self, tx: Tx, *, kind: str, key: str, due_at: datetime, payload: dict[str, Any] | None = None
    ) -> None:
        """Arm the timer ``key`` (re-arming it if it exists) in the caller's transaction."""
        values = {"kind": kind, "due_at": due_at, "payload": payload or {}, "state": "pending"}
        rearmed = await tx.execute(
            update(timers).where(timers.c.key == key).values(fired_at=None, error=None, **values)
        )
        if rearmed.rowcount == 0:
            await tx.execute(insert(timers).values(key=key, created_at=self.app.clock.now(), **values))
        tx.after_commit(self._after_change)

    async def hurry(self, tx: Tx, key: str, due_at: datetime) -> bool:
        """Bring the pending timer ``key`` forward to ``due_at``; False if it is not pending."""
        changed = await tx.execute(
            update(timers)
            .where(timers.c.key == key, timers.c.state == "pending", timers.c.due_at > due_at)
            .values(due_at=due_at)
        )
        if changed.rowcount:
            tx.after_commit(self._after_change)
        return bool(changed.rowcount)

    async def cancel(self, tx: Tx, key: str) -> None:
        await tx.execute(
            update(timers).where(timers.c.key == key, timers.c.state == "pending").values(state="cancelled")
        )

    async def pending(self, key: str) -> Timer | None:
        async with self.app.db.read() as conn:
            row = (
                await conn.execute(select(timers).where(timers.c.key == key, timers.c.state == "pending"))
            ).first()
        return None if row is None else _timer(row)

    async def _after_change(self) -> None:
        self._wake.set()

    async def next_due(self) -> datetime | None:
        async with self.app.db.read() as conn:
            return await conn.scalar(select(func.min(timers.c.due_at)).where(timers.c.state == "pending"))

    async def fire_due(self) -> int:
        """Fire every timer due now, oldest first; return how many fired."""
        count = 0
        while not self._stopping:
            try:
                fired = await self.app.db.write(self._fire_batch)
            except _HandlerFailed:  # run that batch again, each handler in its own savepoint
                fired = await self.app.db.write(self._fire_isolated)
            if not fired:
                return count
            count += fired
        return count

    async def _fire_batch(self, tx: Tx) -> int:
        """Claim up to ``BATCH`` due timers and run their handlers, in one commit.

        Optimistic, like the group commit: no savepoints (each costs two round
        trips); should a handler fail, the batch is rolled back and fired again
        with a savepoint per handler, so only the failing one is undone.
        """
        return await self._claim_and_run(tx, isolate=False)

    async def _fire_isolated(self, tx: Tx) -> int:
        return await self._claim_and_run(tx, isolate=True)

    async def _claim_and_run(self, tx: Tx, *, isolate: bool) -> int:
        now = self.app.clock.now()
        query = (
            select(timers)
            .where(timers.c.state == "pending", timers.c.due_at <= now)
            .order_by(timers.c.due_at, timers.c.id)
            .limit(BATCH)
        )
        if tx.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await tx.execute(query)).all()
        if not rows:
            return 0
        # Claim first: a handler may re-arm its own key in this transaction.
        await tx.execute(
            update(timers).where(timers.c.id.in_([r.id for r in rows])).values(state="done", fired_at=now)
        )
        for row in rows:
            await self._run(tx, _timer(row), isolate)
        return len(rows)

    async def _run(self, tx: Tx, timer: Timer, isolate: bool) -> None:
        handler = self.handlers.get(timer.kind)
        error: str | None = None
        if handler is None:
            error = f"no handler for timer kind {timer.kind!r}"
        elif not isolate:
            _, failure = await self.app.hooks.guarded(
                self.owners.get(timer.kind, "?"), f"timer {timer.kind}", handler, (tx, timer)
            )
            if failure is not None:
                raise _HandlerFailed(failure.describe())
        else:
            scoped = SavepointTx(tx)
            _, failure = await self.app.hooks.guarded(
                self.owners.get(timer.kind, "?"), f"timer {timer.kind}", handler, (scoped, timer)
            )
            await scoped.finish(ok=failure is None)
            if failure is not None:
                error = failure.describe()
        if error is not None:
            log.error("timer %s failed: %s", timer.key, error)
            await tx.execute(
                update(timers)
                .where(timers.c.id == timer.id, timers.c.state == "done")
                .values(state="failed", error=error)
            )

    def start(self) -> None:
        if not self.app.clock.fake and self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name="chatops-scheduler")

    async def stop(self, grace_s: float = 10.0) -> None:
        """Let the batch in hand finish (its rows and messages), then stop; cancel only past ``grace_s``.

        Cancelling in the middle of a database round trip can leave a driver
        connection unusable (asyncpg), so the loop is asked to stop between batches.
        """
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace_s)
        except TimeoutError:
            log.warning("the scheduler did not stop within %.0f s; cancelling it", grace_s)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.fire_due()
                due = await self.next_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler pass failed; retrying in 5 s")
                due = None
                await asyncio.sleep(5)  # backoff after a failed pass, not synchronisation
                continue
            if self._stopping:
                return
            if due is None:
                await self._wake.wait()
            else:
                await self.app.clock.sleep_until(due, self._wake)


def _timer(row: Any) -> Timer:
    return Timer(id=row.id, key=row.key, kind=row.kind, due_at=row.due_at, payload=dict(row.payload))
