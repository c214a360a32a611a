"""Label matchers and routing rules (pure): an alert's labels in, where it goes out.

Matchers use Alertmanager's syntax (``name=value``, ``!=``, ``=~`` and
``!~`` with fully anchored regular expressions), so the same text works in
a route and in ``!silence``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    op: str  # = != =~ !~
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None
        return found if self.op == "=~" else not found

    @property
    def is_regex(self) -> bool:
        return self.op in ("=~", "!~")

    @property
    def is_equal(self) -> bool:
        return self.op in ("=", "=~")

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


def parse_matcher(text: str) -> Matcher:
    """``env=~"prod|staging"`` -> Matcher; ValueError says how to write one."""
    found = _MATCHER.match(text)
    if not found:
        raise ValueError(f"not a matcher: {text!r} (use name=value, name!=value, name=~regex or name!~regex)")
    name, op, value = found.groups()
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"{text!r}: not a regular expression ({exc})") from None
    return Matcher(name, op, value)


def all_match(matchers: Sequence[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an alert goes: what a group of such alerts is, whom it pages, where it is shown."""

    service: str | None
    severity: int
    policy: str | None
    room: str | None
    ticket_only: bool
    declare: bool
    group_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Route:
    matchers: tuple[Matcher, ...]
    service: str | None = None
    severity: int | None = None
    policy: str | None = None
    room: str | None = None
    ticket_only: bool = False
    declare: bool = False
    group_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Service:
    policy: str | None
    room: str | None


@dataclass(frozen=True, slots=True)
class Router:
    routes: tuple[Route, ...]
    services: Mapping[str, Service]
    default_room: str | None
    default_policy: str | None
    severity_labels: Mapping[str, int]
    default_severity: int

    def place(self, labels: Mapping[str, str]) -> Placement:
        """The first route whose matchers all match (a route with none matches everything)."""
        route = next((r for r in self.routes if all_match(r.matchers, labels)), None)
        labelled = self.severity_labels.get(labels.get("severity", "").lower())
        if route is None:
            severity = labelled or self.default_severity
            return Placement(None, severity, self.default_policy, self.default_room, False, False, ())
        service = self.services.get(route.service) if route.service else None
        return Placement(
            service=route.service,
            severity=route.severity or labelled or self.default_severity,
            policy=route.policy or (service.policy if service else None) or self.default_policy,
            room=route.room or (service.room if service else None) or self.default_room,
            ticket_only=route.ticket_only,
            declare=route.declare,
            group_by=route.group_by,
        )
