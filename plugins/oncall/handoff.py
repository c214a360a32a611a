"""Hand-offs announced: at each change of who is on call, the outgoing and incoming person hear of it.

Each built-in schedule keeps one timer armed for its next hand-off; firing
it announces the change and arms the next.  It is re-armed at start and
whenever an override moves the hand-offs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from chatops.scheduler import Timer
from chatops.timefmt import local_time
from chatops_plugins.oncall import people
from chatops_plugins.oncall.config import OncallConfig, zone

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx

HANDOFF = "oncall.handoff"
HORIZON = timedelta(days=60)


def _key(schedule: str) -> str:
    return f"oncall:handoff:{schedule}"


async def arm(tx: Tx, app: App, schedule: str) -> None:
    """Arm the schedule's timer for its next change of person (or cancel it if there is none)."""
    built = await people.schedule(app, tx, schedule)
    now = app.clock.now()
    segments = built.segments(now, now + HORIZON)
    current = segments[0].person
    following = next((s for s in segments[1:] if s.person != current), None)
    if following is None:
        await app.scheduler.cancel(tx, _key(schedule))
        return
    await app.scheduler.schedule(
        tx, kind=HANDOFF, key=_key(schedule), due_at=following.starts_at, payload={"schedule": schedule}
    )


async def arm_all(app: App) -> None:
    config: OncallConfig = app.section("oncall")
    names = [n for n, s in config.schedules.items() if s.provider == "builtin" and s.layers]

    async def write(tx: Tx) -> None:
        for name in names:
            await arm(tx, app, name)

    if names:
        await app.db.write(write)


async def announce(tx: Tx, timer: Timer) -> None:
    app = tx.app
    assert app is not None
    config: OncallConfig = app.section("oncall")
    name = timer.payload["schedule"]
    if name not in config.schedules:
        return
    built = await people.schedule(app, tx, name)
    at = timer.due_at
    before, _ = built.who(at - timedelta(seconds=1))
    after, _ = built.who(at)
    if before != after:
        ends = next((s.ends_at for s in built.segments(at, at + HORIZON) if s.person == after), None)
        if after is not None:
            tz = zone(config.people[after].timezone) if after in config.people else app.tz
            until = f" until {local_time(ends, tz, at)}" if ends else ""
            text = f"🔔 You are on call for {name} from now{until}." + (
                f" @{before} handed over." if before else ""
            )
            for account in (await people.person(app, tx, after)).accounts:
                if account.transport in app.transports:
                    await tx.send_direct(account, text)
        if before is not None:
            text = f"Your on-call shift for {name} has ended" + (f"; @{after} has it now." if after else ".")
            for account in (await people.person(app, tx, before)).accounts:
                if account.transport in app.transports:
                    await tx.send_direct(account, text)
    await arm(tx, app, name)
