"""What happened in a drill, in its own stream ``drill:<id>`` (the practice incident keeps its own)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from chatops.events import DomainEvent


def stream_of(drill_id: int) -> str:
    return f"drill:{drill_id}"


class DrillEvent(DomainEvent):
    drill_id: int
    text: str = ""

    @classmethod
    def of(cls, drill_id: int, at: datetime, actor: str, **fields: Any) -> Self:
        return cls(stream=stream_of(drill_id), at=at, actor=actor, drill_id=drill_id, **fields)


class DrillStarted(DrillEvent):
    kind = "drill_started"
    scenario: str
    ic: str


class InjectPlayed(DrillEvent):
    kind = "drill_inject_played"
    index: int  # in the scenario's timeline (by time)
    inject_kind: str
    page_id: int | None = None  # a page inject: the page it raised
    paged: str | None = None  # a page inject: who it paged


class DrillPaused(DrillEvent):
    kind = "drill_paused"


class DrillResumed(DrillEvent):
    kind = "drill_resumed"
    paused_s: int


class ParticipantJoined(DrillEvent):
    kind = "drill_joined"
    person: str


class IncidentLinked(DrillEvent):
    kind = "drill_incident_linked"
    incident_id: int


class DrillEnded(DrillEvent):
    kind = "drill_ended"
    how: str  # resolved | stopped
