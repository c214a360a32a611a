"""Built-in plugin ``oncall``: schedules, paging with acknowledgement, escalation policies.

Schedules are pure values (``schedule``); pages, steps and notifications
are rows, timers and outbox messages (``paging``); people and their
accounts live in ``people``.  Declaring an incident pages by the policy its
severity maps to, when the declarer is a known person (and the room is
allowed): a stranger in a community channel cannot wake anyone.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chatops import hookimpl
from chatops.events import DomainEvent
from chatops.models.chat import User
from chatops.permissions import RoleHolders
from chatops.scheduler import TimerHandler
from chatops_plugins.incident import store as incidents
from chatops_plugins.oncall import calendars, commanders, handoff, ical, load_sql, paging, people
from chatops_plugins.oncall.commands import COMMANDS, RESPONDER
from chatops_plugins.oncall.config import OncallConfig

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.context import CommandContext
    from chatops.storage.db import Tx


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"oncall": OncallConfig}


@hookimpl
def chatops_commands() -> list[Any]:
    return COMMANDS


@hookimpl
def chatops_migration_locations() -> list[str]:
    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def chatops_timer_handlers() -> dict[str, TimerHandler]:
    return {
        paging.ESCALATE: paging.escalate,
        paging.COVERAGE: paging.coverage,
        paging.NOTIFY: paging.notify_later,
        handoff.HANDOFF: handoff.announce,
    }


@hookimpl
async def chatops_startup(app: App) -> None:
    """Each schedule's next hand-off is armed (the config may have changed while stopped)."""
    await handoff.arm_all(app)


@hookimpl
async def chatops_serving(app: App) -> None:
    """Calendar layers are fetched by the serving process only."""
    calendars.sync_of(app).start()


@hookimpl
async def chatops_standing_down(app: App) -> None:
    await calendars.sync_of(app).stop()


@hookimpl
async def chatops_shutdown(app: App) -> None:
    await calendars.sync_of(app).stop()


@hookimpl
def chatops_web_routes(app: App) -> list[Any]:
    return ical.routes()


@hookimpl
def chatops_reports(app: App) -> dict[str, Any]:
    """``chatops report oncall``: who carries the pager (pages, nights, incident time per person)."""
    return {"oncall": load_sql.oncall_report}


@hookimpl
def chatops_notification_channels(app: App) -> dict[str, Any]:
    return {"chat": paging.ChatChannel()}


@hookimpl
async def chatops_oncall_lookup(app: App, schedule: str, at: datetime) -> str | None:
    """The built-in provider: schedules from the config, with the overrides stored in chat."""
    config: OncallConfig = app.section("oncall")
    found = config.schedules.get(schedule)
    if found is None or found.provider != "builtin":
        return None
    async with app.db.read() as conn:
        built = await people.schedule(app, conn, schedule)
    return built.who(at)[0]


@hookimpl
async def chatops_accounts(app: App, user: User) -> list[User]:
    """The identity map: the other accounts of the person ``user`` is (config, then proven links)."""
    async with app.db.read() as conn:
        key = await people.person_of(app, conn, user.id)
        if key is None:
            return []
        found = await people.person(app, conn, key)
    return [account for account in found.accounts if account.id != user.id]


@hookimpl
def chatops_person_named(app: App, handle: str, transport: str) -> User | None:
    """``@bob``, a key of ``oncall.people``: bob's account on ``transport``, else his first one."""
    config: OncallConfig = app.section("oncall")
    key = handle.removeprefix("@")
    person = config.people.get(key)
    if person is None or not person.accounts:
        return None
    accounts = [User(id=a, name=key) for a in person.accounts]
    return next((a for a in accounts if a.transport == transport), accounts[0])


@hookimpl
async def chatops_context_roles(ctx: CommandContext) -> dict[str, RoleHolders] | None:
    """``responder``: anyone the on-call config knows (who may page and override)."""
    if ctx.command.permission is None or RESPONDER not in ctx.command.permission.default_roles:
        return None
    async with ctx.app.db.read() as conn:
        me = await people.person_of(ctx.app, conn, ctx.sender.id)
    holders = (User(id=ctx.sender.id, name=me),) if me else ()
    return {RESPONDER: RoleHolders(label="people in the on-call config", holders=holders)}


@hookimpl
async def chatops_event_committed(app: App, event: DomainEvent) -> None:
    if event.kind == "room_created":
        await commanders.name_in_room(app, event)


@hookimpl
async def chatops_event_recorded(tx: Tx, event: DomainEvent) -> None:
    """A declaration pages by its severity's policy, if the declarer may page from that room;
    and the Incident Commander on duty, for the severities that need one at once.  Raising the
    severity to one whose policy has not paged for this incident yet pages by it then.  A drill
    (a practice incident) pages nobody by policy: its own participants practise paging."""
    if event.kind == "incident_declared" and event.data().get("drill"):
        return
    if event.kind == "incident_declared" and not event.data().get("paged"):  # an alert's came with its page
        await commanders.page_on_declare(tx, event)
        data = event.data()
        await _page_by_severity(
            tx, event, int(data["severity"]), str(data["title"]), data.get("origin_room_id")
        )
    elif event.kind == "severity_changed":
        data = event.data()
        if int(data["to_severity"]) >= int(data["from_severity"]):
            return  # lowering (or keeping) the severity never takes anything back, nor adds anything
        incident = await incidents.get(tx, int(data["incident_id"]))
        if incident is not None and incident.is_open and not incident.drill:
            severity = int(data["to_severity"])
            await _page_by_severity(tx, event, severity, incident.title, incident.origin_room_id)


async def _page_by_severity(tx: Tx, event: DomainEvent, severity: int, title: str, room: str | None) -> None:
    app = tx.app
    assert app is not None
    config: OncallConfig = app.section("oncall")
    name = config.severity_policies.get(severity)
    if name is None:
        return
    if config.page_from_rooms and room not in config.page_from_rooms:
        return
    if await people.person_of(app, tx, event.actor) is None:
        return  # only people the on-call config knows can wake someone
    incident_id = int(event.data()["incident_id"])
    if await paging.paged_for(tx, incident_id, f"policy:{name}"):
        return  # this policy already paged for the incident (declared at a severity that used it)
    policy = config.policy(name)
    assert policy is not None  # severity_policies name only known policies (checked at start)
    await paging.start(
        tx,
        target=f"policy:{name}",
        policy=policy,
        message=title,
        severity=severity,
        incident_id=incident_id,
        room_id=room,
        actor=event.actor,
    )
