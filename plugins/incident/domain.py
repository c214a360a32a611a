"""The incident domain, pure: states, transitions, severity rules, cadence.

Plain values in, plain values out; no I/O and no clock of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"


OPEN = (Status.INVESTIGATING, Status.IDENTIFIED, Status.MITIGATED)

# Forward moves allowed by the ordinary commands.
_FORWARD = {
    Status.INVESTIGATING: {Status.IDENTIFIED, Status.MITIGATED},
    Status.IDENTIFIED: {Status.MITIGATED},
    Status.MITIGATED: {Status.RESOLVED},
    Status.RESOLVED: set(),
}


class Refused(Exception):
    """A state change the rules do not allow now; the message says what to do."""


class Place(StrEnum):
    """Where an incident is worked: its own room, a thread where it was declared, or only the record."""

    ROOM = "room"
    THREAD = "thread"
    NONE = "none"

    @property
    def weight(self) -> int:
        return _PLACE_WEIGHT[self]


_PLACE_WEIGHT = {Place.NONE: 0, Place.THREAD: 1, Place.ROOM: 2}


class Postmortem(StrEnum):
    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Process:
    """How much process a severity carries, so a small incident stays small.

    Who is paged is the on-call plugin's ``severity_policies``; the update
    cadence is the level's ``update_every``.  These are the rest.
    """

    place: Place = Place.ROOM
    stakeholders: bool = True
    status_page: bool = True
    postmortem: Postmortem = Postmortem.REQUIRED


FULL_PROCESS = Process()


@dataclass(frozen=True, slots=True)
class SeverityLevel:
    number: int
    name: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    update_every: timedelta | None = None
    monitoring: timedelta = timedelta(minutes=10)
    process: Process = FULL_PROCESS


@dataclass(frozen=True, slots=True)
class SeverityScale:
    levels: tuple[SeverityLevel, ...]
    default: int

    def level(self, number: int) -> SeverityLevel:
        """The level, or for one no longer configured (incidents outlive config) a neutral stand-in."""
        for level in self.levels:
            if level.number == number:
                return level
        return SeverityLevel(number, f"Sev{number}", monitoring=max(lv.monitoring for lv in self.levels))

    def label(self, number: int) -> str:
        return self.level(number).name

    def process(self, number: int) -> Process:
        return self.level(number).process

    def range_hint(self) -> str:
        numbers = sorted(level.number for level in self.levels)
        return f"{numbers[0]}-{numbers[-1]}"

    def parse(self, text: str) -> SeverityLevel:
        """Accept ``1``, ``sev1``, ``Sev1``, ``SEV-1`` or a configured alias (``P0``)."""
        raw = text.strip().lower()
        for level in self.levels:
            if raw == level.name.lower() or raw in (a.lower() for a in level.aliases):
                return level
        match = re.fullmatch(r"(?:sev[-\s]?)?(\d+)", raw)
        if match:
            number = int(match[1])
            for level in self.levels:
                if level.number == number:
                    return level
        names = ", ".join(level.name for level in self.levels)
        raise ValueError(f"{text!r} is not a severity; use {self.range_hint()} ({names})")


def default_scale() -> SeverityScale:
    return SeverityScale(
        levels=(
            SeverityLevel(
                1,
                "Sev1",
                "Full outage, major customer impact, data loss or security breach",
                ("P0",),
                timedelta(minutes=15),
                timedelta(minutes=30),
            ),
            SeverityLevel(
                2,
                "Sev2",
                "Partial outage or degraded service for some users",
                ("P1",),
                timedelta(minutes=30),
                timedelta(minutes=30),
            ),
            SeverityLevel(
                3,
                "Sev3",
                "Minor degradation or a non-critical feature broken",
                ("P2",),
                None,
                timedelta(minutes=10),
                Process(Place.THREAD, stakeholders=False, status_page=False, postmortem=Postmortem.OPTIONAL),
            ),
            SeverityLevel(
                4,
                "Sev4",
                "Awareness: known issue or planned work affecting users",
                ("P3",),
                None,
                timedelta(minutes=10),
                Process(Place.NONE, stakeholders=False, status_page=False, postmortem=Postmortem.NONE),
            ),
        ),
        default=3,
    )


@dataclass(frozen=True, slots=True)
class Incident:
    id: int
    title: str
    severity: int
    status: Status
    declared_at: datetime
    declared_by: str
    detected_at: datetime | None = None
    started_at: datetime | None = None
    identified_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    private: bool = False
    near_miss: bool = False
    drill: bool = False  # declared in a practice room: kept out of metrics, pages and the status page
    room_id: str | None = None
    room_name: str = ""
    status_message_id: str | None = None
    origin_room_id: str | None = None
    hypothesis: str | None = None
    last_update_at: datetime | None = None
    last_update: str | None = None
    tags: tuple[str, ...] = field(default=())
    services: tuple[str, ...] = field(default=())

    @property
    def ref(self) -> str:
        return f"INC-{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status != Status.RESOLVED


def parse_ref(text: str) -> int:
    """``42``, ``INC-42``, ``inc42`` -> 42."""
    match = re.fullmatch(r"(?:inc-?)?(\d{1,9})", text.strip().lower())
    if not match:
        raise ValueError(f"{text!r} is not an incident id; use e.g. 42 or INC-42")
    return int(match[1])


def monitoring_until(incident: Incident, scale: SeverityScale) -> datetime | None:
    if incident.status != Status.MITIGATED or incident.mitigated_at is None:
        return None
    return incident.mitigated_at + scale.level(incident.severity).monitoring


def next_update_due(incident: Incident, scale: SeverityScale) -> datetime | None:
    """When the next update is due under the severity's cadence (None: no cadence or closed)."""
    if not incident.is_open:
        return None
    every = scale.level(incident.severity).update_every
    if every is None:
        return None
    return (incident.last_update_at or incident.declared_at) + every


def advance(
    incident: Incident, target: Status, now: datetime, scale: SeverityScale, force_reason: str | None = None
) -> Incident:
    """The incident after moving to ``target``, or ``Refused`` saying why not and what to do."""
    current = incident.status
    if target == current:
        raise Refused(f"{incident.ref} is already {current}.")
    if target == Status.RESOLVED:
        return _resolve(incident, now, scale, force_reason)
    if target not in _FORWARD[current]:
        if current == Status.RESOLVED:
            raise Refused(f'{incident.ref} is resolved. To reopen it: !incident reopen "<reason>"')
        raise Refused(
            f"{incident.ref} is {current}; it cannot go back to {target}. "
            f'If it regressed: !incident reopen "<reason>"'
        )
    if target == Status.IDENTIFIED:
        return replace(incident, status=target, identified_at=now)
    return replace(incident, status=target, mitigated_at=now)


def _resolve(incident: Incident, now: datetime, scale: SeverityScale, force_reason: str | None) -> Incident:
    if force_reason is not None:
        if not force_reason.strip():
            raise Refused('A forced resolve needs a reason: !incident resolve --force "<reason>"')
        return replace(incident, status=Status.RESOLVED, resolved_at=now)
    if incident.status != Status.MITIGATED:
        raise Refused(
            f"Can't resolve {incident.ref} yet: it is {incident.status}, not mitigated. "
            f"Mark it mitigated first (!incident mitigated), or override: "
            f'!incident resolve --force "<reason>"'
        )
    until = monitoring_until(incident, scale)
    assert until is not None
    if now < until:
        raise EarlyResolve(until)
    return replace(incident, status=Status.RESOLVED, resolved_at=now)


class EarlyResolve(Refused):
    """Resolve refused inside the monitoring window; carries the time it opens."""

    def __init__(self, until: datetime) -> None:
        super().__init__("monitoring window")
        self.until = until


def reopen(incident: Incident, now: datetime) -> Incident:
    if incident.status not in (Status.MITIGATED, Status.RESOLVED):
        raise Refused(
            f"{incident.ref} is {incident.status}; only a mitigated or resolved incident can be reopened."
        )
    return replace(
        incident, status=Status.INVESTIGATING, identified_at=None, mitigated_at=None, resolved_at=None
    )


def heaviest(processes: list[Process]) -> Process:
    """The most process any of ``processes`` asks for (each part on its own).

    An incident carries the heaviest process of every severity it has had:
    stakeholders who heard of a Sev1 hear how it ends after it is lowered,
    and a postmortem once required stays required.
    """
    if not processes:
        return FULL_PROCESS
    order = [Postmortem.NONE, Postmortem.OPTIONAL, Postmortem.REQUIRED]
    return Process(
        place=max((p.place for p in processes), key=lambda place: place.weight),
        stakeholders=any(p.stakeholders for p in processes),
        status_page=any(p.status_page for p in processes),
        postmortem=max((p.postmortem for p in processes), key=order.index),
    )
