"""Scheduled maintenance: announced from chat, started and completed by durable timers.

``!maintenance schedule "<title>" --from <time> --to <time|duration>`` puts
it on the page (``scheduled``); at the start its components go
``under_maintenance`` (``in_progress``), at the end back to operational
(``completed``).  Each step is a public update, delivered to the publishers
like any other.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from chatops import Arg, CommandContext, CommandGroup, Option, Permission, UserError
from chatops.clock import parse_duration
from chatops.scheduler import Timer
from chatops.storage.db import Tx
from chatops.timefmt import local_time
from chatops_plugins.oncall.schedule import localize
from chatops_plugins.statuspage import delivery
from chatops_plugins.statuspage.commands import component_list
from chatops_plugins.statuspage.store import recompute_components
from chatops_plugins.statuspage.tables import public_incidents, public_updates

MAINTAIN = Permission("statuspage.maintenance", ("admin",), "schedule maintenance on the status page")
STEP = "statuspage.maintenance"
group = CommandGroup("maintenance", help="scheduled maintenance on the status page")


def moment(raw: str, ctx: CommandContext) -> datetime:
    """``in 2h`` or ``2026-03-05 22:00`` (in the app's timezone)."""
    text = raw.strip()
    try:
        if text.lower().startswith("in "):
            return ctx.now + parse_duration(text[3:])
        found = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a time: {raw!r} (use in 2h, or 2026-03-05 22:00)") from None
    return found if found.tzinfo else localize(found, ctx.tz)


def maintenance_id(raw: str, ctx: CommandContext) -> int:
    text = raw.strip().upper().removeprefix("M-")
    if not re.fullmatch(r"\d{1,9}", text):
        raise ValueError(f"{raw!r} is not a maintenance (use M-3 or 3)")
    return int(text)


async def _post(tx: Tx, row_id: int, status: str, body: str, by: str) -> None:
    """A public update of the maintenance; components follow from every open incident and maintenance."""
    app = tx.app
    assert app is not None
    now = app.clock.now()
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status == "completed":
        values["resolved_at"] = now
    await tx.execute(update(public_incidents).where(public_incidents.c.id == row_id).values(**values))
    row = (await tx.execute(select(public_incidents).where(public_incidents.c.id == row_id))).one()
    states = await recompute_components(tx, now)
    components = {c: states.get(c, "operational") for c in row.components}
    await tx.execute(
        insert(public_updates).values(
            status_incident_id=row_id,
            status=status,
            body=body,
            components=components,
            created_at=now,
            published_by=by,
        )
    )
    change = {
        "incident_id": None,
        "status_incident_id": row_id,
        "kind": "maintenance",
        "name": row.name,
        "status": status,
        "impact": "maintenance",
        "body": body,
        "components": components,
        "scheduled_for": row.scheduled_for.isoformat() if row.scheduled_for else None,
        "scheduled_until": row.scheduled_until.isoformat() if row.scheduled_until else None,
        "published_at": now.isoformat(),
    }
    await delivery.queue(tx, app, change)


@group.command(
    "schedule",
    Arg("title"),
    Option("--start", moment, metavar="TIME", help="when it starts: in 2h, 2026-03-05 22:00"),
    Option("--end", metavar="TIME|DURATION", help="when it ends: 2026-03-05 23:00, or 1h"),
    Option("--components", component_list, metavar="a,b"),
    Option("--details", metavar="TEXT", help="what customers should know"),
    help="announce maintenance on the status page",
    example='!maintenance schedule "Database upgrade" --start "2026-03-05 22:00" --end 1h',
    permission=MAINTAIN,
)
async def schedule(
    ctx: CommandContext,
    title: str,
    start: datetime | None,
    end: str | None,
    components: list[str] | None,
    details: str | None,
) -> None:
    if start is None or end is None:
        raise UserError(
            'A maintenance needs a window: !maintenance schedule "<title>" --start <time> --end <time|1h>'
        )
    try:
        ends = start + parse_duration(end)
    except ValueError:
        try:
            ends = moment(end, ctx)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    if start <= ctx.now:
        raise UserError("Maintenance is announced ahead: --start must be in the future.")
    if ends <= start:
        raise UserError("The maintenance ends before it starts.")
    body = (
        details
        or f"{title}, from {local_time(start, ctx.tz, ctx.now)} to {local_time(ends, ctx.tz, ctx.now)}."
    )
    affected = {c: "operational" for c in components or []}

    async def write(tx: Tx) -> int:
        result = await tx.execute(
            insert(public_incidents).values(
                name=title,
                status="scheduled",
                impact="maintenance",
                components=affected,
                created_at=ctx.now,
                updated_at=ctx.now,
                kind="maintenance",
                scheduled_for=start,
                scheduled_until=ends,
            )
        )
        row_id = int(result.inserted_primary_key[0])
        await _post(tx, row_id, "scheduled", body, ctx.sender.id)
        for step, at in (("start", start), ("end", ends)):
            await ctx.app.scheduler.schedule(
                tx,
                kind=STEP,
                key=f"statuspage:maintenance:{row_id}:{step}",
                due_at=at,
                payload={"id": row_id, "step": step},
            )
        return row_id

    row_id = await ctx.app.db.write(write)
    await ctx.reply(f"M-{row_id} announced on the status page: {body}")


@group.command(
    "cancel",
    Arg("maintenance", maintenance_id, metavar="M-3"),
    permission=MAINTAIN,
    help="call off a scheduled maintenance",
    example="!maintenance cancel M-3",
)
async def cancel(ctx: CommandContext, maintenance: int) -> None:
    async def write(tx: Tx) -> str:
        row = (await tx.execute(select(public_incidents).where(public_incidents.c.id == maintenance))).first()
        if row is None or row.kind != "maintenance":
            raise UserError(f"There is no maintenance M-{maintenance}.")
        if row.status != "scheduled":
            raise UserError(
                f"M-{maintenance} is {row.status.replace('_', ' ')}; only a scheduled one can be called off."
            )
        for step in ("start", "end"):
            await ctx.app.scheduler.cancel(tx, f"statuspage:maintenance:{maintenance}:{step}")
        await _post(tx, maintenance, "completed", f"{row.name} has been called off.", ctx.sender.id)
        return str(row.name)

    name = await ctx.app.db.write(write)
    await ctx.reply(f"M-{maintenance} ({name}) called off.")


async def step(tx: Tx, timer: Timer) -> None:
    """The window opens (components under maintenance) or closes (operational again)."""
    row = (
        await tx.execute(select(public_incidents).where(public_incidents.c.id == timer.payload["id"]))
    ).first()
    if row is None:
        return
    names = ", ".join(row.components) or "the service"
    if timer.payload["step"] == "start" and row.status == "scheduled":
        await _post(tx, row.id, "in_progress", f"{row.name} is in progress ({names}).", "statuspage")
    elif timer.payload["step"] == "end" and row.status == "in_progress":
        await _post(tx, row.id, "completed", f"{row.name} is complete.", "statuspage")


COMMANDS: list[Any] = [group]
