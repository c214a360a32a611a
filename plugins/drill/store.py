"""Drills as rows: each change is written before the drill acts on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from chatops.storage.db import Tx
from chatops_plugins.drill.scenario import Scenario
from chatops_plugins.drill.tables import drills
from chatops_plugins.incident import store as incidents

OPENING, RUNNING, PAUSED, ENDED, FAILED = "opening", "running", "paused", "ended", "failed"
LIVE = (RUNNING, PAUSED)


@dataclass(frozen=True, slots=True)
class Drill:
    id: int
    scenario: str
    script: dict[str, Any]
    state: str
    room_id: str | None
    room_name: str
    started_by: str
    started_at: datetime
    ic: str
    participants: list[str]
    incident_id: int | None
    paused_at: datetime | None
    paused_s: int
    ended_at: datetime | None
    ended_how: str | None
    debrief: str | None

    @property
    def ref(self) -> str:
        return f"DRILL-{self.id}"

    @property
    def plan(self) -> Scenario:
        return Scenario.model_validate(self.script)

    @property
    def live(self) -> bool:
        return self.state in LIVE

    @property
    def paused_for(self) -> timedelta:
        """Every finished pause (the current one, if paused, is not counted yet)."""
        return timedelta(seconds=self.paused_s)


def _drill(row: Any) -> Drill:
    data = dict(row._mapping)
    data["participants"] = list(data["participants"] or [])
    data["script"] = dict(data["script"])
    return Drill(**data)


async def create(tx: Tx, **values: Any) -> Drill:
    values.setdefault("paused_s", 0)
    result = await tx.execute(insert(drills).values(**values))
    found = await get(tx, int(result.inserted_primary_key[0]))
    assert found is not None
    return found


async def get(conn: Any, drill_id: int) -> Drill | None:
    row = (await conn.execute(select(drills).where(drills.c.id == drill_id))).first()
    return None if row is None else _drill(row)


async def change(tx: Tx, drill_id: int, **values: Any) -> Drill:
    await tx.execute(update(drills).where(drills.c.id == drill_id).values(**values))
    found = await get(tx, drill_id)
    assert found is not None
    return found


async def in_room(conn: Any, room_id: str) -> Drill | None:
    """The drill held in ``room_id``: its own room, or its practice incident's room."""
    row = (await conn.execute(select(drills).where(drills.c.room_id == room_id).limit(1))).first()
    if row is not None:
        return _drill(row)
    incident = await incidents.by_room(conn, room_id)
    if incident is None or not incident.drill:
        return None
    return await of_incident(conn, incident.id)


async def of_incident(conn: Any, incident_id: int) -> Drill | None:
    row = (await conn.execute(select(drills).where(drills.c.incident_id == incident_id).limit(1))).first()
    return None if row is None else _drill(row)


async def live(conn: Any) -> list[Drill]:
    rows = await conn.execute(select(drills).where(drills.c.state.in_(LIVE)).order_by(drills.c.id))
    return [_drill(r) for r in rows]


async def recent(conn: Any, limit: int = 10) -> list[Drill]:
    rows = await conn.execute(
        select(drills).where(drills.c.state != FAILED).order_by(drills.c.id.desc()).limit(limit)
    )
    return [_drill(r) for r in rows]


async def ended_since(conn: Any, since: datetime | None) -> list[Drill]:
    query = select(drills).where(drills.c.state == ENDED).order_by(drills.c.id)
    if since is not None:
        query = query.where(drills.c.ended_at >= since)
    return [_drill(r) for r in await conn.execute(query)]


async def last_led(conn: Any) -> dict[str, datetime]:
    """When each person last led a drill (as its Incident Commander)."""
    query = (
        select(drills.c.ic, func.max(drills.c.started_at))
        .where(drills.c.state.not_in((FAILED, OPENING)))
        .group_by(drills.c.ic)
    )
    return {ic: at for ic, at in await conn.execute(query)}
