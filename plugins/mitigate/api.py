"""What a plugin offers through ``chatops_mitigations``: pre-baked actions, one command away.

Mitigate before you diagnose: rolling back, turning a flag off or shedding
traffic should not wait for someone to find the right script.  A plugin
returns ``Mitigation`` values; ``!mitigate`` lists those that apply, asks
for confirmation, runs one within its time limit and records it.  Arguments
arrive already validated against the declared ``Param`` types.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from chatops import Permission, User

if TYPE_CHECKING:
    from chatops.app import App

# A word that cannot be mistaken for an option or a path outside its meaning: no leading dash,
# no spaces, no shell metacharacters (arguments are never given to a shell, but scripts pass them on).
SAFE_WORD = r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,99}"
RESERVED = frozenset({"confirm", "cancel", "history"})
NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")

Value = str | int


class MitigationFailed(Exception):
    """Raised by a mitigation with what went wrong, in words for the incident room."""


@dataclass(frozen=True, slots=True)
class Param:
    """One argument of a mitigation, validated before anything runs."""

    name: str
    kind: Literal["text", "int", "choice"] = "text"
    choices: tuple[str, ...] = ()
    pattern: str = SAFE_WORD
    minimum: int | None = None
    maximum: int | None = None
    help: str = ""

    def parse(self, raw: str) -> Value:
        """The value of ``raw``, or ``ValueError`` saying what would be accepted."""
        if self.kind == "choice":
            if raw not in self.choices:
                raise ValueError(f"{self.name} must be one of {', '.join(self.choices)}, not {raw!r}")
            return raw
        if self.kind == "int":
            try:
                number = int(raw)
            except ValueError:
                raise ValueError(f"{self.name} must be a whole number, not {raw!r}") from None
            if self.minimum is not None and number < self.minimum:
                raise ValueError(f"{self.name} must be at least {self.minimum}")
            if self.maximum is not None and number > self.maximum:
                raise ValueError(f"{self.name} must be at most {self.maximum}")
            return number
        if not re.fullmatch(self.pattern, raw):
            raise ValueError(f"{self.name} {raw!r} is not allowed (it must match {self.pattern})")
        return raw

    def usage(self) -> str:
        return f"<{'|'.join(self.choices) if self.choices else self.name}>"


@dataclass(frozen=True, slots=True)
class MitigationRequest:
    """One confirmed run: what to do, for which incident, on whose word."""

    app: App
    run_id: int
    incident_id: int
    incident_ref: str
    services: tuple[str, ...]
    args: dict[str, Value]
    requested_by: User
    confirmed_by: User


Runner = Callable[[MitigationRequest], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class Mitigation:
    """A pre-baked action.  ``run`` returns a one-line result or raises ``MitigationFailed``.

    ``allowed`` are the roles that may run it (config ``permissions:
    {mitigate.<name>: [...]}`` overrides them); ``services``, when given,
    limits it to incidents on those services.  ``run`` is cancelled after
    ``timeout_s``: it must leave nothing running behind it.
    """

    name: str
    help: str
    run: Runner
    params: tuple[Param, ...] = ()
    allowed: tuple[str, ...] = ("ic", "admin")
    timeout_s: float = 30.0
    services: tuple[str, ...] = ()

    @property
    def permission(self) -> Permission:
        return Permission(f"mitigate.{self.name}", self.allowed, f"run the {self.name} mitigation")

    def applies_to(self, services: Sequence[str]) -> bool:
        return not self.services or bool(set(self.services) & set(services))

    def usage(self) -> str:
        return " ".join([f"!mitigate {self.name}", *(p.usage() for p in self.params)])

    def bind(self, words: Sequence[str]) -> dict[str, Value]:
        """Positional words to validated arguments, or ``ValueError`` naming the problem."""
        if len(words) != len(self.params):
            raise ValueError(f"{self.name} takes {len(self.params)} argument(s), got {len(words)}")
        return {p.name: p.parse(w) for p, w in zip(self.params, words, strict=True)}
