"""Built-in plugin ``conference``: a meeting link for the incident, pinned in its room.

Serious incidents need a voice bridge the moment they start.  When an
incident of a configured severity gets its room (or is raised to such a
severity later), the link is asked of ``chatops_conference_link`` — an
organisation's plugin may call its meeting provider's API — and otherwise
made from ``conference.url_template`` (a self-hosted Jitsi by default).
The link is recorded in the timeline before it is posted and pinned, once
per incident.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chatops import events as event_log
from chatops import hookimpl
from chatops.app import App
from chatops.events import DomainEvent
from chatops.models.chat import transport_of
from chatops.storage.db import Tx
from chatops_plugins.incident import lookup, rooms, store
from chatops_plugins.incident.domain import Incident, Place
from chatops_plugins.incident.events import IncidentEvent

log = logging.getLogger("chatops.conference")
PLACES = ("{number}", "{slug}", "{secret}")


class ConferenceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    severities: list[int] = Field([1, 2], description="Incidents of these severities get a bridge")
    url_template: str = Field(
        "https://meet.jit.si/{slug}-{secret}",
        description="The meeting's address: {number}, {slug} (the room's name) and {secret} (random)",
    )

    @field_validator("url_template")
    @classmethod
    def _template(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("a meeting address starts with https://")
        if "{secret}" not in value:
            raise ValueError("put {secret} in it, so nobody can guess an incident's meeting")
        return value


class ConferenceOpened(IncidentEvent):
    kind = "conference_opened"
    url: str


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"conference": ConferenceConfig}


@hookimpl(trylast=True)
def chatops_conference_link(app: App, incident: Any) -> str:
    """The built-in provider: the URL template, with a secret part nobody can guess."""
    template: str = app.section("conference").url_template
    slug = rooms.room_name_for(app, incident)
    values = {"{number}": str(incident.id), "{slug}": slug, "{secret}": secrets.token_hex(6)}
    for place, value in values.items():
        template = template.replace(place, value)
    return template


@hookimpl
async def chatops_event_committed(app: App, event: DomainEvent) -> None:
    if event.kind not in ("room_created", "severity_changed"):
        return
    async with app.db.read() as conn:
        incident = await store.get(conn, event.data()["incident_id"])
        opened = await event_log.stream(conn, event.stream, (ConferenceOpened.kind,))
    wanted: list[int] = app.section("conference").severities
    if incident is None or opened or not incident.room_id or incident.severity not in wanted:
        return
    if rooms.place_of(incident).weight < lookup.scale_of(app).process(incident.severity).place.weight:
        return  # raised to a severity with a room: the link goes there, once it is made
    url = await app.hooks.call_first("chatops_conference_link", app=app, incident=incident)
    if not url:
        return
    if not await app.db.write(lambda tx: _record(tx, app, incident, url)):
        return  # another observer got there first
    ref = await app.outbound.send(incident.room_id, f"📞 Bridge for {incident.ref}: {url}")
    transport = app.transports.get(transport_of(incident.room_id))
    in_room = rooms.place_of(incident) is Place.ROOM  # a pin in a thread would pin it channel-wide
    if ref is not None and transport is not None and transport.capabilities.pins and in_room:
        try:
            await transport.pin(ref)
        except Exception:
            log.exception("pinning the bridge of %s failed", incident.ref)


async def _record(tx: Tx, app: App, incident: Incident, url: str) -> bool:
    stream = await event_log.stream(tx.conn, f"incident:{incident.id}", (ConferenceOpened.kind,))
    if stream:
        return False
    await event_log.record(
        tx, ConferenceOpened.of(incident.id, app.clock.now(), "chatops", url=url, text=url)
    )
    return True
