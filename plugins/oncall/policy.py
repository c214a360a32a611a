"""Escalation policies and severity coverage (pure).

A page runs on a snapshot of its policy taken when it starts, stored with
the page: editing the config while a page escalates changes nothing for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class Step:
    targets: tuple[str, ...]  # schedule:<name>, user:<person>, room:<room id>
    after: timedelta


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    steps: tuple[Step, ...]
    repeat: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "repeat": self.repeat,
            "steps": [{"targets": list(s.targets), "after_s": s.after.total_seconds()} for s in self.steps],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Policy:
        steps = tuple(Step(tuple(s["targets"]), timedelta(seconds=s["after_s"])) for s in data["steps"])
        return cls(data["name"], steps, int(data.get("repeat", 0)))

    def after(self, step: int, cycle: int) -> tuple[int, int] | None:
        """The step that follows ``step`` of round ``cycle``, or None when the policy is exhausted."""
        if step + 1 < len(self.steps):
            return step + 1, cycle
        if cycle < self.repeat:
            return 0, cycle + 1
        return None

    def position(self, step: int, cycle: int) -> str:
        text = f"step {step + 1}/{len(self.steps)}"
        return text + (f", round {cycle + 1}/{self.repeat + 1}" if self.repeat else "")


def direct(target: str, after: timedelta = timedelta(minutes=5), repeat: int = 2) -> Policy:
    """What ``!page`` uses for a schedule or a person that has no policy of its own."""
    return Policy(target, (Step((target,), after),), repeat)


def pages_now(severity: int | None, around_the_clock: list[int]) -> bool:
    """Whether a page of this severity may wake people outside business hours."""
    return severity is None or severity in around_the_clock
