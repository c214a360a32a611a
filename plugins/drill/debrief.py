"""The debrief's figures (pure: plain values in, plain values out).

Each figure carries the events that decided it (time, what, who), so a
team can argue with the number by looking at what happened.  Durations are
the drill's own time: while a drill is paused its clock stops, so a pause
never counts against anyone.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

Pause = tuple[datetime, datetime]
ROLES = (("ic", "Incident Commander"), ("tech-lead", "Tech Lead"), ("comms-lead", "Comms Lead"))


@dataclass(frozen=True, slots=True)
class Moment:
    """Something that happened: when, what, and who did it (``@alice``; None for the drill itself)."""

    at: datetime
    what: str
    who: str | None = None


@dataclass(frozen=True, slots=True)
class PageFacts:
    paged: Moment
    acked: Moment | None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the drill's and its practice incident's records say, as plain values."""

    ref: str
    title: str
    scenario: str
    ic: str
    started: Moment
    ended: Moment | None
    pauses: tuple[Pause, ...]
    intended_severity: int
    first_alert: Moment | None
    pages: tuple[PageFacts, ...]
    declared: Moment | None
    incident: str | None = None  # INC-7
    severities: tuple[tuple[datetime, int], ...] = ()  # the severity in force from each time on
    roles: Mapping[str, Moment] = field(default_factory=dict)  # each role's first holder
    updates: tuple[Moment, ...] = ()
    identified: Moment | None = None
    mitigated: Moment | None = None
    resolved: Moment | None = None
    cadence: Mapping[int, timedelta | None] = field(default_factory=dict)  # update_every by severity
    labels: Mapping[int, str] = field(default_factory=dict)  # Sev1 ...


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: str
    ok: bool | None  # True kept, False missed, None: no verdict
    evidence: tuple[Moment, ...]
    seconds: float | None = None  # the measured span, when there is one
    notes: tuple[str, ...] = ()


def active(start: datetime, end: datetime, pauses: Sequence[Pause]) -> timedelta:
    """``end - start`` less the paused time inside it (the drill's clock stops while paused)."""
    total = end - start
    for paused, resumed in pauses:
        overlap = min(end, resumed) - max(start, paused)
        if overlap > timedelta(0):
            total -= overlap
    return total


def span(delta: timedelta) -> str:
    """``45 s``, ``4 min 30 s``, ``1 h 5 min`` (minutes and seconds matter in a drill)."""
    seconds = round(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours} h {minutes} min"
    if minutes:
        return f"{sign}{minutes} min" + (f" {secs} s" if secs else "")
    return f"{sign}{secs} s"


def severity_at(facts: Facts, at: datetime) -> int | None:
    found = None
    for since, level in facts.severities:
        if since <= at:
            found = level
    return found


def figures(facts: Facts) -> list[Figure]:
    """Every figure of the debrief, in the order a response unfolds."""
    found = [_page(facts, page) for page in facts.pages]
    found.append(_declare(facts))
    if facts.declared is None:
        return found
    found += [_role(facts, key, label) for key, label in ROLES]
    found += [_first_update(facts), _cadence(facts), _severity(facts), _mitigation_first(facts)]
    return found


def _page(facts: Facts, page: PageFacts) -> Figure:
    name = f"Time to acknowledge the page ({page.paged.who or 'nobody'})"
    if page.acked is None:
        return Figure(name, "not acknowledged", False, (page.paged,))
    took = active(page.paged.at, page.acked.at, facts.pauses)
    return Figure(name, span(took), None, (page.paged, page.acked), took.total_seconds())


def _declare(facts: Facts) -> Figure:
    name = "Time to declare"
    if facts.declared is None:
        return Figure(name, "no incident was declared", False, (facts.started,))
    took = active(facts.started.at, facts.declared.at, facts.pauses)
    value = f"{span(took)} from the start"
    evidence = [facts.started]
    if facts.first_alert is not None:
        evidence.append(facts.first_alert)
        if facts.declared.at >= facts.first_alert.at:
            since_alert = active(facts.first_alert.at, facts.declared.at, facts.pauses)
            value += f", {span(since_alert)} from the first alert"
        else:
            value += ", before the first alert"
    evidence.append(facts.declared)
    return Figure(name, value, None, tuple(evidence), took.total_seconds())


def _role(facts: Facts, key: str, label: str) -> Figure:
    assert facts.declared is not None
    name = f"Time to assign the {label}"
    given = facts.roles.get(key)
    if given is None:
        return Figure(name, "never assigned", False, (facts.declared,))
    took = active(facts.declared.at, given.at, facts.pauses)
    value = "at the declaration" if took <= timedelta(0) else f"{span(took)} after the declaration"
    return Figure(name, value, True, (facts.declared, given), max(took.total_seconds(), 0.0))


def _first_update(facts: Facts) -> Figure:
    assert facts.declared is not None
    name = "Time to first update"
    if not facts.updates:
        return Figure(name, "no update was posted", False, (facts.declared,))
    first = facts.updates[0]
    took = active(facts.declared.at, first.at, facts.pauses)
    return Figure(
        name, f"{span(took)} after the declaration", None, (facts.declared, first), took.total_seconds()
    )


def _label(facts: Facts, level: int | None) -> str:
    if level is None:
        return "?"
    return facts.labels.get(level, f"Sev{level}")


@dataclass(frozen=True, slots=True)
class Gap:
    """The time between two updates (or the last one and the end) against the cadence in force."""

    length: timedelta
    every: timedelta
    closed: bool  # ended by an update (else: by the end of the drill)

    @property
    def kept(self) -> bool:
        return self.length <= self.every

    def describe(self) -> str:
        cadence = f"(cadence every {span(self.every)})"
        if not self.closed:
            return f"no update in the {span(self.length)} before the end {cadence}: missed"
        if self.kept:
            return f"{span(self.length)} after the previous {cadence}: on time"
        return f"{span(self.length)} after the previous {cadence}: {span(self.length - self.every)} late"


def gaps(facts: Facts) -> list[Gap]:
    """Each gap from the declaration through the updates, checked against the cadence of the
    severity in force when it closed (as the reminder is re-armed on a severity change); the last
    update to the end counts only when it ran past the cadence (an update was due and none came)."""
    assert facts.declared is not None
    found: list[Gap] = []
    anchors = [facts.declared.at, *(u.at for u in facts.updates)]
    for before, after in itertools.pairwise(anchors):
        every = facts.cadence.get(severity_at(facts, after) or 0)
        if every is not None:
            found.append(Gap(active(before, after, facts.pauses), every, True))
    end = facts.resolved or facts.ended
    if end is not None:
        every = facts.cadence.get(severity_at(facts, end.at) or 0)
        tail = active(anchors[-1], end.at, facts.pauses)
        if every is not None and tail > every:
            found.append(Gap(tail, every, False))
    return found


def _cadence(facts: Facts) -> Figure:
    assert facts.declared is not None
    name = "Update cadence"
    end = facts.resolved or facts.ended
    checked = gaps(facts)
    if not checked:
        level = severity_at(facts, end.at if end else facts.declared.at)
        return Figure(name, f"no cadence at {_label(facts, level)}", None, (facts.declared,))
    kept = sum(1 for gap in checked if gap.kept)
    evidence = (facts.declared, *facts.updates, *((end,) if end is not None else ()))
    notes = tuple(gap.describe() for gap in checked)
    return Figure(name, f"kept {kept} of {len(checked)}", kept == len(checked), evidence, None, notes)


def _severity(facts: Facts) -> Figure:
    assert facts.declared is not None
    declared = facts.severities[0][1] if facts.severities else None
    intended = facts.intended_severity
    matched = declared == intended
    value = f"declared {_label(facts, declared)}, intended {_label(facts, intended)}: " + (
        "matched" if matched else "did not match"
    )
    notes = tuple(f"later changed to {_label(facts, level)}" for _since, level in facts.severities[1:])
    return Figure("Severity", value, matched, (facts.declared,), None, notes)


def _mitigation_first(facts: Facts) -> Figure:
    name = "Mitigation before diagnosis"
    mitigated, identified = facts.mitigated, facts.identified
    shown = tuple(m for m in (identified, mitigated) if m is not None)
    if mitigated is None:
        return Figure(name, "not mitigated", False, shown)
    if identified is None or mitigated.at <= identified.at:
        if identified is None:
            return Figure(name, "yes: mitigated (the cause was never marked identified)", True, shown)
        ahead = active(mitigated.at, identified.at, facts.pauses)
        return Figure(name, f"yes: mitigated {span(ahead)} before the cause was identified", True, shown)
    later = active(identified.at, mitigated.at, facts.pauses)
    return Figure(name, f"no: the cause was identified first, mitigated {span(later)} later", False, shown)


def clock(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    return f"{local:%H:%M:%S}" if local.second else f"{local:%H:%M}"


def markdown(facts: Facts, found: Sequence[Figure], tz: ZoneInfo) -> str:
    """The debrief as Markdown (posted in the drill's room, kept with the drill)."""
    zone = facts.started.at.astimezone(tz).tzname() or ""
    lines = [f"# Debrief — {facts.ref} · {facts.title}", "", "🧪 A drill: practice, nothing here was real."]
    end = facts.ended
    paused = sum((b - a for a, b in facts.pauses), timedelta(0))
    head = (
        f"Scenario `{facts.scenario}` · started {clock(facts.started.at, tz)} {zone} by "
        f"{facts.started.who or 'someone'} · Incident Commander @{facts.ic}"
    )
    if end is not None:
        head += f" · ended {clock(end.at, tz)} ({end.what})"
        head += f" · {span(active(facts.started.at, end.at, facts.pauses))} of drill time"
        if paused:
            head += f", not counting {span(paused)} paused"
    if facts.incident:
        head += f" · practice incident {facts.incident}"
    lines += [head, ""]
    for figure in found:
        mark = {True: " ✅", False: " ❌", None: ""}[figure.ok]
        lines.append(f"- **{figure.name}**: {figure.value}{mark}")
        for note in figure.notes:
            lines.append(f"  - {note}")
        for moment in figure.evidence:
            who = f" · {moment.who}" if moment.who else ""
            lines.append(f"  - {clock(moment.at, tz)} {moment.what}{who}")
    lines += [
        "",
        "Times are the drill's own: a pause stops its clock. Talk it through blamelessly: "
        "what made each step quick or slow?",
    ]
    return "\n".join(lines) + "\n"
