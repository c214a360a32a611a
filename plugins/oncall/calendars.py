"""Calendar layers: external iCal calendars fetched, stored, and refreshed.

A layer with ``ical`` takes its shifts from a calendar.  Each fetch is
parsed at once and its shifts are stored as a row, so lookups never wait
for the network and a restart (or the calendar's host going down) keeps
the last good copy.  A failed fetch is recorded next to that copy and shown
by ``!oncall schedule``; the URL itself never appears in a message or log.

Shifts are kept from a week before the fetch to ``HORIZON`` after it.  On a
real clock each calendar is fetched at start-up and every ``refresh``;
``!oncall sync`` fetches now.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from chatops.state import per_app
from chatops.storage.upsert import upsert
from chatops_plugins.oncall import handoff
from chatops_plugins.oncall.config import IcalSource, OncallConfig, duration, zone
from chatops_plugins.oncall.imported import CalendarError, Directory, parse
from chatops_plugins.oncall.providers import ProviderError, get_text
from chatops_plugins.oncall.tables import calendars

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

log = logging.getLogger("chatops.oncall.calendars")
PAST, HORIZON = timedelta(days=7), timedelta(days=180)
TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Status:
    """What ``!oncall schedule`` says about a calendar layer."""

    layer: str
    shifts: int
    unmatched: tuple[str, ...]
    fetched_at: datetime | None
    checked_at: datetime | None
    error: str | None


def _config(app: App) -> OncallConfig:
    found: OncallConfig = app.section("oncall")
    return found


def sources(app: App, schedule: str | None = None) -> list[tuple[str, str, IcalSource]]:
    """``(schedule, layer, source)`` of every calendar layer (of one schedule)."""
    return [
        (name, layer.name, layer.ical)
        for name, spec in _config(app).schedules.items()
        if spec.provider == "builtin" and (schedule is None or name == schedule)
        for layer in spec.layers
        if layer.ical is not None
    ]


async def status(app: App, schedule: str) -> list[Status]:
    async with app.db.read() as conn:
        rows = {
            row.layer: row
            for row in await conn.execute(select(calendars).where(calendars.c.schedule == schedule))
        }
    found = []
    for _name, layer, _source in sources(app, schedule):
        row = rows.get(layer)
        if row is None:
            found.append(Status(layer, 0, (), None, None, None))
        else:
            shifts, unmatched = len(row.shifts), tuple(row.unmatched)
            found.append(Status(layer, shifts, unmatched, row.fetched_at, row.checked_at, row.error))
    return found


async def _fetch(app: App, schedule: str, layer: str, source: IcalSource) -> tuple[list[Any], list[str]]:
    """Fetch and parse one calendar; raise ProviderError or CalendarError with a readable reason."""
    config = _config(app)
    headers = {"Authorization": f"Bearer {source.token.get_secret_value()}"} if source.token else {}
    text = await get_text(
        f"The calendar of layer {layer!r}",
        source.url.get_secret_value(),
        headers,
        TIMEOUT_S,
        where="its URL",
    )
    now = app.clock.now()
    directory = Directory({key: person.external for key, person in config.people.items()})
    tz = zone(config.schedules[schedule].timezone)
    imported = await asyncio.to_thread(
        parse, text, start=now - PAST, end=now + HORIZON, tz=tz, directory=directory
    )
    shifts = [[s.starts_at.isoformat(), s.ends_at.isoformat(), s.person] for s in imported.shifts]
    return shifts, list(imported.unmatched)


async def _store(tx: Tx, schedule: str, layer: str, values: dict[str, Any]) -> None:
    """Insert or update the layer's row (``values`` without shifts keeps the good copy)."""
    row = {"shifts": [], "unmatched": [], **values, "schedule": schedule, "layer": layer}
    await upsert(tx, calendars, row, ("schedule", "layer"), values)


async def refresh(app: App, schedule: str, layer: str, source: IcalSource) -> str | None:
    """Fetch one calendar and store its shifts (or the failure); return the failure, if any."""
    now = app.clock.now()
    values: dict[str, Any]
    try:
        shifts, unmatched = await _fetch(app, schedule, layer, source)
    except (ProviderError, CalendarError) as exc:
        log.warning("calendar layer %s/%s: %s", schedule, layer, exc)
        values = {"checked_at": now, "error": str(exc)}
    else:
        values = {
            "shifts": shifts,
            "unmatched": unmatched,
            "fetched_at": now,
            "checked_at": now,
            "error": None,
        }

    async def write(tx: Tx) -> None:
        await _store(tx, schedule, layer, values)
        await handoff.arm(tx, app, schedule)  # new shifts move the next hand-off

    await app.db.write(write)
    error: str | None = values.get("error")
    return error


class Sync:
    """Fetches every calendar layer at start-up and then every ``refresh``; one pass at a time."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.lock = asyncio.Lock()
        self.task: asyncio.Task[None] | None = None

    async def run(self, schedule: str | None = None) -> dict[str, str | None]:
        """Fetch now; return each ``schedule/layer``'s failure (None when it worked)."""
        async with self.lock:
            found = sources(self.app, schedule)
            errors = await asyncio.gather(*(refresh(self.app, *source) for source in found))
        return {f"{name}/{layer}": error for (name, layer, _), error in zip(found, errors, strict=True)}

    async def _loop(self) -> None:
        clock = asyncio.get_running_loop().time
        due: dict[tuple[str, str], float] = {}
        while True:
            for name, layer, source in sources(self.app):
                if due.get((name, layer), 0.0) <= clock():
                    due[(name, layer)] = clock() + duration(source.refresh).total_seconds()
                    try:
                        async with self.lock:
                            await refresh(self.app, name, layer, source)
                    except Exception:
                        log.exception("refreshing calendar layer %s/%s failed", name, layer)
            await asyncio.sleep(
                max(0.0, min(due.values()) - clock())
            )  # the next refresh, not synchronisation

    def start(self) -> None:
        """Called when this process starts serving (``chatops_serving``): standbys and one-off
        commands do not fetch."""
        if sources(self.app) and not self.app.clock.fake and self.task is None:
            self.task = asyncio.create_task(self._loop(), name="oncall-calendars")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None


sync_of = per_app(Sync)
