"""People: their chat accounts (config plus links proven in chat), and who is on call.

An account is an opaque user id of a transport (``slack:U0123``); a person
is a key of ``oncall.people``.  Accounts come from the config and from
``!whoami link``, which is confirmed from both accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from chatops.hooks import PluginFailure
from chatops.models.chat import User, transport_of
from chatops_plugins.oncall.config import OncallConfig
from chatops_plugins.oncall.schedule import Override, Schedule, Shift, Shifts
from chatops_plugins.oncall.tables import calendars, links, overrides

if TYPE_CHECKING:
    from chatops.app import App
    from chatops_plugins.oncall.paging import NotificationChannel


@dataclass(frozen=True, slots=True)
class Person:
    key: str
    accounts: tuple[User, ...]


def _config(app: App) -> OncallConfig:
    found: OncallConfig = app.section("oncall")
    return found


async def linked(conn: Any, person: str) -> list[str]:
    rows = await conn.execute(select(links.c.account).where(links.c.person == person))
    return [r.account for r in rows]


async def person(app: App, conn: Any, key: str) -> Person:
    config = _config(app)
    accounts = list(config.people[key].accounts) if key in config.people else []
    accounts += [a for a in await linked(conn, key) if a not in accounts]
    return Person(key, tuple(User(id=a, name=key) for a in accounts))


async def person_of(app: App, conn: Any, account: str) -> str | None:
    """The person an account belongs to (config first, then proven links)."""
    found = _config(app).person_of(account)
    if found is not None:
        return found
    row = (await conn.execute(select(links.c.person).where(links.c.account == account))).first()
    return None if row is None else str(row.person)


async def account_on(app: App, conn: Any, key: str, transport: str) -> User | None:
    """The person's account on ``transport`` (to mention them there), if they have one."""
    found = await person(app, conn, key)
    return next((a for a in found.accounts if transport_of(a.id) == transport), None)


async def stored_shifts(conn: Any, schedule: str) -> dict[str, Shifts]:
    """Each calendar layer's stored shifts (see ``calendars``)."""
    rows = await conn.execute(
        select(calendars.c.layer, calendars.c.shifts).where(calendars.c.schedule == schedule)
    )
    return {
        row.layer: Shifts(
            tuple(
                Shift(datetime.fromisoformat(start), datetime.fromisoformat(end), person)
                for start, end, person in row.shifts
            )
        )
        for row in rows
    }


async def schedule(app: App, conn: Any, name: str) -> Schedule:
    """A built-in schedule with its calendar layers' stored shifts and its stored overrides."""
    built = _config(app).schedules[name].build(name, await stored_shifts(conn, name))
    rows = await conn.execute(select(overrides).where(overrides.c.schedule == name).order_by(overrides.c.id))
    return built.with_overrides([Override(r.person, r.starts_at, r.ends_at, r.id) for r in rows])


class ProviderError(Exception):
    """A provider could not answer (refused token, timeout, bad reply); the message says which."""


async def on_call(app: App, name: str, at: datetime) -> tuple[str | None, str | None]:
    """Who is on call for schedule ``name`` at ``at`` (from the provider that answers for it),
    and why nobody is known when a provider failed."""
    problems: list[str] = []

    async def failed(failure: PluginFailure) -> None:
        error = failure.error
        problems.append(str(error) if isinstance(error, ProviderError) else failure.describe())

    found: str | None = await app.hooks.call_first(
        "chatops_oncall_lookup", on_failure=failed, app=app, schedule=name, at=at
    )
    return found, "; ".join(problems) or None


def channels(app: App) -> dict[str, NotificationChannel]:
    found: dict[str, NotificationChannel] = {}
    for _plugin, part in app.hooks.call_sync("chatops_notification_channels", app=app):
        found.update(part)
    return found
