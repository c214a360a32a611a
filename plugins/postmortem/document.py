"""A postmortem as plain values (pure): what is stored and gathered in, what is still missing.

Sections people write: summary, impact, root cause (a chain of "how was
this possible?" levels), contributing factors, what went well.  The
timeline and the action items are gathered from what is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

# name -> (heading, the question the room is asked)
SECTIONS: dict[str, tuple[str, str]] = {
    "summary": ("Summary", "What happened and how was it resolved, in two or three sentences?"),
    "impact": ("Impact", "Who was affected and how much (users, requests, revenue, duration)?"),
    "root-cause": (
        "Root cause",
        "What made this possible? Add each deeper level with !postmortem why <text>",
    ),
    "contributing": ("Contributing factors", "What made it worse or slower to detect or mitigate?"),
    "went-well": ("What went well", "What worked and should be kept?"),
}
WRITTEN = tuple(SECTIONS)


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    actor: str
    text: str
    human: bool = True  # a person's account, not the bot's own actors (alerts, oncall)


@dataclass(frozen=True, slots=True)
class Action:
    id: int
    text: str
    owner: str
    due: date
    status: str

    @property
    def ref(self) -> str:
        return f"AI-{self.id}"


@dataclass(frozen=True, slots=True)
class Facts:
    """What the incident's record says (nobody has to write these)."""

    ref: str
    title: str
    severity: str
    status: str
    near_miss: bool
    declared_at: datetime
    started_at: datetime | None
    detected_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    services: tuple[str, ...]
    roles: tuple[tuple[str, str], ...]  # (role label, holder)


@dataclass(frozen=True, slots=True)
class Document:
    facts: Facts
    sections: dict[str, str]
    chain: tuple[str, ...]
    timeline: tuple[Entry, ...]
    actions: tuple[Action, ...]
    status: str = "draft"
    published_at: datetime | None = None
    notes: tuple[str, ...] = field(default=())

    def text_of(self, section: str) -> str:
        if section == "root-cause":
            return "\n".join(self.chain)
        return self.sections.get(section, "").strip()

    def missing(self) -> list[str]:
        """Sections still to write (action items count as a section too)."""
        gaps = [name for name in WRITTEN if not self.text_of(name)]
        if not self.actions:
            gaps.append("actions")
        return gaps

    def prose(self) -> list[tuple[str, str]]:
        """(section, text) of everything people wrote, for the blameless check."""
        found = [(name, self.text_of(name)) for name in WRITTEN if self.text_of(name)]
        found += [(a.ref, a.text) for a in self.actions]
        return found


def duration(start: datetime | None, end: datetime | None) -> str | None:
    if start is None or end is None:
        return None
    minutes = int((end - start).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
