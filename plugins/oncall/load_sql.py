"""Reading what the on-call load is computed from (the definitions are pure, in ``load``).

Three reads: each (person, page)'s first reach in the period, grouped in
SQL; the role and status events of the incidents that were open at some
point of the period; and the accounts linked in chat.  Then ``!oncall
load`` and ``chatops report oncall`` present the same figures.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, func, literal, or_, select

from chatops import UserError
from chatops.storage.tables import events
from chatops_plugins.incident.tables import incidents
from chatops_plugins.oncall import load
from chatops_plugins.oncall.config import OncallConfig, zone
from chatops_plugins.oncall.schedule import localize
from chatops_plugins.oncall.tables import links, notified

if TYPE_CHECKING:
    from chatops.app import App

DEFAULT_DAYS = 28  # without --since: the last four weeks, from midnight


def people(config: OncallConfig) -> list[load.Person]:
    """Everyone in ``oncall.people``, with their working hours in their own timezone."""
    found = []
    for key, person in config.people.items():
        hours = person.working_hours or config.business_hours
        window = hours.window_in(person.timezone)
        found.append(load.Person(key, zone(person.timezone), window, hours.describe()))
    return found


async def first_reaches(conn: Any, since: datetime, until: datetime) -> list[load.Reach]:
    """Each (person, page) whose first reach is in [since, until), at that first reach."""
    first = func.min(notified.c.at).label("first")
    query = (
        select(notified.c.person, notified.c.page_id, first)
        .where(notified.c.at < until)
        .group_by(notified.c.person, notified.c.page_id)
        .having(func.min(notified.c.at) >= since)
    )
    return [load.Reach(row.person, row.page_id, row.first) for row in await conn.execute(query)]


async def role_changes(conn: Any, since: datetime, until: datetime) -> list[load.Change]:
    """Role and status events, in recorded order, of the incidents open at some point of the period."""
    touching = select(literal("incident:", String) + cast(incidents.c.id, String)).where(
        incidents.c.declared_at < until,
        or_(incidents.c.resolved_at.is_(None), incidents.c.resolved_at >= since),
    )
    query = (
        select(events.c.kind, events.c.at, events.c.data)
        .where(
            events.c.kind.in_(("role_assigned", "status_changed")),
            events.c.at < until,
            events.c.stream.in_(touching.scalar_subquery()),
        )
        .order_by(events.c.id)
    )
    found: list[load.Change] = []
    for row in await conn.execute(query):
        data = dict(row.data)
        if row.kind == "role_assigned":
            found.append(load.RoleChange(int(data["incident_id"]), row.at, data["role"], data.get("user_id")))
        else:
            found.append(load.StatusChange(int(data["incident_id"]), row.at, data["to_status"]))
    return found


async def owners(conn: Any, config: OncallConfig) -> dict[str, str]:
    """Chat account -> person: linked in chat, and (winning) in the config."""
    found = {row.account: row.person for row in await conn.execute(select(links))}
    found.update({account: key for key, person in config.people.items() for account in person.accounts})
    return found


async def gather(app: App, since: datetime, until: datetime) -> load.Load:
    config: OncallConfig = app.section("oncall")
    async with app.db.read() as conn:
        reaches = await first_reaches(conn, since, until)
        changes = await role_changes(conn, since, until)
        owner_of = await owners(conn, config)
    return load.compute(people(config), reaches, changes, owner_of, since, until)


def period(since: datetime | None, now: datetime, tz: ZoneInfo) -> datetime:
    """Where the period starts: ``since`` (refused if in the future), or 4 weeks ago at midnight."""
    if since is None:
        day = now.astimezone(tz).date() - timedelta(days=DEFAULT_DAYS)
        return localize(datetime.combine(day, time(0)), tz)
    if since > now:
        raise UserError(
            f"--since {since.astimezone(tz):%Y-%m-%d} is in the future; pick a day in the past, "
            f"e.g. --since {(now - timedelta(days=DEFAULT_DAYS)).astimezone(tz):%Y-%m-%d}."
        )
    return since


async def oncall_report(app: App, since: datetime | None, format: str, out: Path | None) -> str:
    """``chatops report oncall``: everyone's load, as md or json (html: the md in a page)."""
    now = app.clock.now()
    found = await gather(app, period(since, now, app.tz), now)
    if format == "json":
        return load.as_json(found)
    text = load.markdown(found, app.tz)
    if format == "html":
        import html

        return f"<!doctype html><html lang='en'><meta charset='utf-8'><pre>{html.escape(text)}</pre></html>\n"
    return text
