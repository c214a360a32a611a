"""The Incident Commander on duty: a schedule of trained ICs (``oncall.ic_schedule``).

A declaration by someone else names the IC on duty in the incident's room,
with the command that hands over; for the severities in ``page_ic_for`` the
IC on duty is paged in the declaration's own transaction (durable, like
every page).  Whoever declares stays IC until they hand over: the first
minutes need a commander, not a wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatops.events import DomainEvent
from chatops.models.chat import transport_of
from chatops.models.content import Content, Mention, Text
from chatops_plugins.incident import store as incidents
from chatops_plugins.oncall import paging, people
from chatops_plugins.oncall.config import OncallConfig
from chatops_plugins.oncall.policy import direct

if TYPE_CHECKING:
    from chatops.app import App
    from chatops.storage.db import Tx


async def _on_duty_other_than(app: App, conn: object, declarer: str) -> str | None:
    """The IC on duty, unless nobody is or it is the declarer themself."""
    config: OncallConfig = app.section("oncall")
    if config.ic_schedule is None:
        return None
    on_duty, _problem = await people.on_call(app, config.ic_schedule, app.clock.now())
    if on_duty is None or on_duty == await people.person_of(app, conn, declarer):
        return None
    return on_duty


async def page_on_declare(tx: Tx, event: DomainEvent) -> None:
    """A declaration of a severity in ``page_ic_for`` pages the IC on duty (not the declarer)."""
    app = tx.app
    assert app is not None
    config: OncallConfig = app.section("oncall")
    data = event.data()
    if config.ic_schedule is None or int(data["severity"]) not in config.page_ic_for:
        return
    if config.page_from_rooms and data.get("origin_room_id") not in config.page_from_rooms:
        return
    if await people.person_of(app, tx, event.actor) is None:
        return  # only people the on-call config knows can wake someone
    on_duty = await _on_duty_other_than(app, tx, event.actor)
    if on_duty is None:
        return
    target = f"user:{on_duty}"
    await paging.start(
        tx,
        target=target,
        policy=config.policy(config.ic_schedule) or direct(target),
        message=f"Incident Commander needed: {data['title']}",
        severity=int(data["severity"]),
        incident_id=int(data["incident_id"]),
        room_id=data.get("origin_room_id"),
        actor=event.actor,
    )


async def name_in_room(app: App, event: DomainEvent) -> None:
    """When the room opens, say who the IC on duty is and how to hand over to them."""
    async with app.db.read() as conn:
        incident = await incidents.get(conn, event.data()["incident_id"])
        if incident is None or not incident.room_id or incident.drill:
            return  # a drill has its own Incident Commander, from the drill's pool
        on_duty = await _on_duty_other_than(app, conn, incident.declared_by)
        if on_duty is None:
            return
        account = await people.account_on(app, conn, on_duty, transport_of(incident.room_id))
    who: Mention | str = Mention(account.id, on_duty) if account else f"@{on_duty}"
    line = Text(("🎖️ Incident Commander on duty: ", who, f". To hand over: !incident role ic @{on_duty}"))
    await app.outbound.send(incident.room_id, Content((line,)))
