"""Mitigation runs, the audit record: each step is written before it is taken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from chatops.storage.db import Tx
from chatops_plugins.mitigate.tables import runs

PENDING, RUNNING, CANCELLED = "pending", "running", "cancelled"
FINISHED = ("succeeded", "failed", "timed_out", "interrupted")


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    incident_id: int
    room_id: str
    action: str
    args: dict[str, Any]
    status: str
    requested_by: str
    requested_at: datetime
    confirmed_by: str | None
    started_at: datetime | None
    finished_at: datetime | None
    result: str | None

    @property
    def ref(self) -> str:
        return f"M-{self.id}"

    def described(self) -> str:
        """``rollback service=checkout-api``"""
        return " ".join([self.action, *(f"{k}={v}" for k, v in self.args.items())])


def _run(row: Any) -> Run:
    return Run(**row._mapping)


async def create(tx: Tx, **values: Any) -> Run:
    result = await tx.execute(runs.insert().values(status=PENDING, **values))
    found = await get(tx, result.inserted_primary_key[0])
    assert found is not None
    return found


async def get(conn: Any, run_id: int) -> Run | None:
    row = (await conn.execute(select(runs).where(runs.c.id == run_id))).first()
    return None if row is None else _run(row)


async def start(tx: Tx, run_id: int, confirmed_by: str, now: datetime, requested_after: datetime) -> bool:
    """Pending → running, once: a second press of Confirm, or a late one, changes nothing."""
    changed = await tx.execute(
        update(runs)
        .where(runs.c.id == run_id, runs.c.status == PENDING, runs.c.requested_at >= requested_after)
        .values(status=RUNNING, confirmed_by=confirmed_by, started_at=now)
    )
    return bool(changed.rowcount)


async def cancel(tx: Tx, run_id: int) -> bool:
    changed = await tx.execute(
        update(runs).where(runs.c.id == run_id, runs.c.status == PENDING).values(status=CANCELLED)
    )
    return bool(changed.rowcount)


async def finish(tx: Tx, run_id: int, outcome: str, result: str, now: datetime) -> bool:
    assert outcome in FINISHED
    changed = await tx.execute(
        update(runs)
        # a run another replica marked interrupted, while this one still ran it, gets its real outcome
        .where(runs.c.id == run_id, runs.c.status.in_((RUNNING, "interrupted")))
        .values(status=outcome, result=result, finished_at=now)
    )
    return bool(changed.rowcount)


async def running(conn: Any) -> list[Run]:
    rows = await conn.execute(select(runs).where(runs.c.status == RUNNING).order_by(runs.c.id))
    return [_run(r) for r in rows]


async def of_incident(conn: Any, incident_id: int) -> list[Run]:
    rows = await conn.execute(select(runs).where(runs.c.incident_id == incident_id).order_by(runs.c.id))
    return [_run(r) for r in rows]
