"""Built-in plugin ``severity``: the scale, ``!incident sev``, and update reminders.

The scale (default Sev1 to Sev4) is configurable and offered to every plugin
through ``chatops_severity_scale``.  Severity sets the update cadence; when
an update is due and none was posted, the incident room is reminded.  The
reminder is a durable timer re-armed inside the same transaction as each
event that moves it, so a restart neither loses nor doubles it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chatops import Arg, CommandContext, CommandGroup, Permission, UserError, events, hookimpl
from chatops.clock import format_duration, parse_duration
from chatops.events import DomainEvent
from chatops.models.content import Content, Mention, Text
from chatops.scheduler import Timer, TimerHandler
from chatops.storage.db import Tx
from chatops.timefmt import local_time
from chatops_plugins.incident import bridging, lookup, rooms, store
from chatops_plugins.incident.commands import ID
from chatops_plugins.incident.domain import (
    Place,
    Postmortem,
    Process,
    SeverityLevel,
    SeverityScale,
    default_scale,
    next_update_due,
)
from chatops_plugins.incident.events import IncidentEvent, SeverityChanged, stream_of
from chatops_plugins.incident.render import UPDATE_SHAPE
from chatops_plugins.incident.rooms import announce

if TYPE_CHECKING:
    from chatops.app import App

REMINDER = "incident.update_due"
MOVES_CADENCE = {"incident_declared", "severity_changed", "update_posted", "status_changed"}


class LevelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: int = Field(gt=0)
    name: str
    description: str = ""
    aliases: list[str] = []
    update_every: str | None = Field(None, description="update cadence, e.g. 15m; null for none")
    monitoring: str = Field("10m", description="how long a mitigated incident is watched before resolve")
    place: Place = Field(
        Place.ROOM, description="room: its own room; thread: a thread where declared; none: the record only"
    )
    stakeholders: bool = Field(True, description="the stakeholder room hears of it")
    status_page: bool = Field(True, description="status-page drafts and reminders are offered")
    postmortem: Postmortem = Field(Postmortem.REQUIRED, description="required, optional or none")

    @field_validator("update_every")
    @classmethod
    def _cadence(cls, value: str | None) -> str | None:
        if value is not None and parse_duration(value).total_seconds() <= 0:
            raise ValueError("update_every must be longer than 0 (or null for no cadence)")
        return value

    @field_validator("monitoring")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_duration(value)
        return value


def _level_config(level: SeverityLevel) -> LevelConfig:
    """The config form of a built-in level (so the defaults are written once, in the domain)."""
    return LevelConfig(
        level=level.number,
        name=level.name,
        description=level.description,
        aliases=list(level.aliases),
        update_every=_minutes(level.update_every) if level.update_every else None,
        monitoring=_minutes(level.monitoring),
        place=level.process.place,
        stakeholders=level.process.stakeholders,
        status_page=level.process.status_page,
        postmortem=level.process.postmortem,
    )


def _minutes(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)}m"


class SeverityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: int = 3
    levels: list[LevelConfig] = Field(
        default_factory=lambda: [_level_config(lv) for lv in default_scale().levels]
    )

    @model_validator(mode="after")
    def _default_exists(self) -> SeverityConfig:
        numbers = [lv.level for lv in self.levels]
        if not numbers:
            raise ValueError("levels: at least one severity level is needed")
        if len(set(numbers)) != len(numbers):
            raise ValueError("levels: each level number must be unique")
        if self.default not in numbers:
            raise ValueError(f"default {self.default} is not one of the levels {sorted(numbers)}")
        return self

    def scale(self) -> SeverityScale:
        return SeverityScale(
            levels=tuple(
                SeverityLevel(
                    number=lv.level,
                    name=lv.name,
                    description=lv.description,
                    aliases=tuple(lv.aliases),
                    update_every=parse_duration(lv.update_every) if lv.update_every else None,
                    monitoring=parse_duration(lv.monitoring),
                    process=Process(lv.place, lv.stakeholders, lv.status_page, lv.postmortem),
                )
                for lv in sorted(self.levels, key=lambda lv: lv.level)
            ),
            default=self.default,
        )


group = CommandGroup("incident")
SEVERITY = Permission("incident.severity", ("ic", "admin"), "change severity")


@group.command(
    "sev",
    Arg("level", lookup.severity, metavar="level"),
    Arg("reason", required=False, greedy=True),
    ID,
    help="change (or confirm) the severity",
    example='!incident sev 1 "revenue impact confirmed"',
    permission=SEVERITY,
)
async def change_severity(ctx: CommandContext, level: int, reason: str | None, id: int | None) -> None:
    inc = await lookup.find(ctx)
    scale = lookup.scale_of(ctx.app)
    now = ctx.now
    if inc.severity == level and rooms.lacks_place(ctx, inc):
        placed = await rooms.upgrade(ctx, inc)  # its place could not be made: the same severity tries again
        if placed.room_id:
            await ctx.reply(f"{inc.ref} is {scale.label(level)}; {rooms.place_line(ctx.app, placed)}")
            return

    async def write(tx: Tx) -> tuple[Any, int]:
        current = await store.get(tx, inc.id)
        assert current is not None
        if current.severity == level and await _confirmed(tx, inc.id):
            raise UserError(f"{inc.ref} is already {scale.label(level)}.")
        await store.save(tx, replace(current, severity=level))
        await store.record(
            tx,
            SeverityChanged.of(
                inc.id,
                now,
                ctx.sender.id,
                from_severity=current.severity,
                to_severity=level,
                text=reason,
            ),
        )
        return replace(current, severity=level), current.severity

    changed, before = await ctx.app.db.write(write)
    changed = await rooms.upgrade(ctx, changed)
    await rooms.refresh(ctx.app, changed.id)
    bridged = await bridging.apply_rules(ctx.app, changed, ctx.sender)
    every = scale.level(level).update_every
    due = next_update_due(changed, scale)
    cadence = (
        f" Updates every {format_duration(every)}; next due {local_time(due, ctx.tz, now)}."
        if every and due
        else " No update cadence at this severity."
    )
    what = (
        f"{inc.ref} severity {scale.label(level)} confirmed."
        if before == level
        else f"{inc.ref} severity {scale.label(before)} → {scale.label(level)}"
        + (f" ({reason})." if reason else ".")
    )
    await announce(ctx, changed, "\n".join([what + cadence, *bridged]))


async def _confirmed(tx: Tx, incident_id: int) -> bool:
    """Was the severity ever set on purpose (declared with --sev, or changed since)?"""
    history = await events.stream(tx.conn, stream_of(incident_id), ("incident_declared", "severity_changed"))
    return any(e.kind == "severity_changed" or getattr(e, "severity_confirmed", True) for e in history)


async def _rearm(tx: Tx, incident_id: int) -> None:
    app = tx.app
    assert app is not None
    inc = await store.get(tx, incident_id)
    if inc is None:
        return
    key = f"incident:{incident_id}:update-due"
    due = next_update_due(inc, lookup.scale_of(app))
    if due is None:
        await app.scheduler.cancel(tx, key)
    else:
        await app.scheduler.schedule(
            tx, kind=REMINDER, key=key, due_at=due, payload={"incident_id": incident_id}
        )


async def remind(tx: Tx, timer: Timer) -> None:
    """An update is due: remind the room, mention the IC, and re-arm for the next interval."""
    app = tx.app
    assert app is not None
    inc = await store.get(tx, timer.payload["incident_id"])
    if inc is None or not inc.is_open:
        return
    scale = lookup.scale_of(app)
    every = scale.level(inc.severity).update_every
    if every is None:
        return
    ic = (await store.roles(tx, inc.id)).get("ic")
    parts: list[Any] = [Mention(user_id=ic.id, name=ic.name), " "] if ic else []
    parts.append(
        f"{inc.ref} update is due ({scale.label(inc.severity)} cadence: every {format_duration(every)})."
        " Post one with"
    )
    body = Content(
        blocks=(
            Text(parts=tuple(parts)),
            Text(parts=(f"!incident update {UPDATE_SHAPE}",)),
            Text(parts=("(free text; this shape is a suggestion)",)),
        )
    )
    room = inc.room_id or inc.origin_room_id
    if room:
        await tx.send(room, body)
    await app.scheduler.schedule(
        tx, kind=REMINDER, key=timer.key, due_at=app.clock.now() + every, payload=timer.payload
    )


@hookimpl
def chatops_config_models() -> dict[str, type[BaseModel]]:
    return {"severity": SeverityConfig}


@hookimpl
def chatops_severity_scale(app: App) -> SeverityScale:
    config: SeverityConfig = app.section("severity")
    return config.scale()


@hookimpl
def chatops_commands() -> list[CommandGroup]:
    return [group]


@hookimpl
def chatops_timer_handlers() -> dict[str, TimerHandler]:
    return {REMINDER: remind}


@hookimpl
async def chatops_event_recorded(tx: Tx, event: DomainEvent) -> None:
    if event.kind in MOVES_CADENCE and isinstance(event, IncidentEvent):
        await _rearm(tx, event.incident_id)
