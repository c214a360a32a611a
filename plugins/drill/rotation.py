"""Who leads the next drill (pure): everyone in the pool takes a turn as Incident Commander.

The pool is ``drill.ic_pool`` or the people of ``oncall.ic_schedule``.
Whoever never led a drill goes first; then whoever led least recently.
Ties go by pool order, so a new pool starts at its top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime


def order(pool: Sequence[str], last_led: Mapping[str, datetime]) -> list[str]:
    """The pool in the order it takes turns from now (the first is next)."""
    unique = list(dict.fromkeys(pool))
    never = [p for p in unique if p not in last_led]
    led = sorted((p for p in unique if p in last_led), key=lambda p: (last_led[p], unique.index(p)))
    return never + led


def next_ic(pool: Sequence[str], last_led: Mapping[str, datetime]) -> str | None:
    turns = order(pool, last_led)
    return turns[0] if turns else None


def schedule_people(layers: Sequence[Sequence[str]]) -> list[str]:
    """Everyone in a schedule's layers, in order of first appearance."""
    return list(dict.fromkeys(p for layer in layers for p in layer))
