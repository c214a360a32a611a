"""Scenario files: what a drill plays, validated with errors that name the file and the field.

A scenario is YAML in ``drill.scenarios_dir``: a briefing, what the
organisers intend (severity, impact, services) and timed ``injects`` (an
alert at 0m, a page at 2m, it gets worse at 9m, ...).  A broken file is
reported in ``!drill list`` and cannot be started; the others still can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chatops.clock import format_duration, parse_duration

KINDS = ("alert", "support", "page", "worse", "red_herring", "note")
Kind = Literal["alert", "support", "page", "worse", "red_herring", "note"]
NAME = r"^[a-z0-9][a-z0-9-]{0,47}$"


class Inject(BaseModel):
    """One timed event of the drill, played into its room at ``at`` after the start."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: str = Field(description="When, after the drill starts: 0m, 90s, 2m, 1h")
    kind: Kind
    text: str = Field(min_length=1, max_length=2000)
    who: str | None = Field(
        None, description="page only: ic, starter, or a person (a key of oncall.people) taking part"
    )

    @field_validator("at")
    @classmethod
    def _at(cls, value: str) -> str:
        try:
            delay = parse_duration(str(value))
        except ValueError:
            raise ValueError(f"not a duration: {value!r} (use e.g. 0m, 90s, 2m, 1h)") from None
        if delay < timedelta(0):
            raise ValueError("an inject cannot come before the drill starts")
        return str(value)

    @model_validator(mode="after")
    def _who(self) -> Inject:
        if self.kind == "page" and not self.who:
            raise ValueError("a page inject needs who: ic, starter, or a person taking part")
        if self.kind != "page" and self.who:
            raise ValueError(f"who is for page injects only (this one is {self.kind})")
        return self

    @property
    def delay(self) -> timedelta:
        return parse_duration(self.at)


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME, description="What !drill start takes: lowercase, digits and dashes")
    title: str = Field(min_length=1, max_length=200)
    briefing: str = Field(min_length=1, max_length=4000, description="What participants are told first")
    severity: int = Field(gt=0, description="The severity the organisers intend (the debrief compares)")
    impact: str = Field(min_length=1, max_length=1000, description="The impact users would see")
    services: list[str] = []
    injects: list[Inject] = Field(min_length=1)

    @property
    def timeline(self) -> list[Inject]:
        """The injects in the order they play (by time; a tie keeps the file's order)."""
        return sorted(self.injects, key=lambda i: i.delay)

    def length(self) -> timedelta:
        return max(i.delay for i in self.injects)

    def summary(self) -> str:
        return (
            f"{self.name} — {self.title} (intended Sev{self.severity}; {len(self.injects)} injects "
            f"over {format_duration(self.length()) or '0 min'})"
        )


@dataclass(frozen=True, slots=True)
class Catalog:
    """The scenarios found, and each file that could not be read, with why."""

    scenarios: dict[str, Scenario]
    problems: list[str]
    directory: Path


def describe(error: ValidationError, origin: str) -> list[str]:
    """``checkout.yaml: injects.2.at: not a duration: '2x' (use e.g. 0m, 90s, 2m, 1h)``."""
    found = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(the file)"
        message = str(item["msg"]).removeprefix("Value error, ")
        found.append(f"{origin}: {where}: {message}")
    return found


def parse(text: str, origin: str) -> Scenario:
    """One scenario from YAML text; ``ValueError`` listing every problem, each with file and field."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        raise ValueError(f"{origin}: not valid YAML{line}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{origin}: a scenario is a mapping (name:, title:, briefing:, ..., injects:)")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ValueError("\n".join(describe(exc, origin))) from None


def load(directory: Path, known_severities: list[int]) -> Catalog:
    """Every ``*.yaml``/``*.yml`` in ``directory`` (blocking: call it in a thread)."""
    scenarios: dict[str, Scenario] = {}
    problems: list[str] = []
    if not directory.is_dir():
        return Catalog({}, [f"{directory}: no such folder (set drill.scenarios_dir)"], directory)
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    for path in files:
        origin = path.name
        try:
            found = parse(path.read_text(encoding="utf-8"), origin)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            problems.append(str(exc))
            continue
        if known_severities and found.severity not in known_severities:
            problems.append(
                f"{origin}: severity: {found.severity} is not a configured severity {known_severities}"
            )
            continue
        if found.name in scenarios:
            problems.append(f"{origin}: name: {found.name!r} is taken by another file; names are unique")
            continue
        scenarios[found.name] = found
    return Catalog(scenarios, problems, directory)
