"""Action items that ship (pure): specific, owned, dated.

"Improve monitoring" never ships; "Alert when the connection pool is above
80% for 5 minutes" does.  An item is refused as generic when it is short,
or when it starts with a vague verb and names nothing concrete (a number,
a component, a condition).
"""

from __future__ import annotations

import re

_VAGUE_START = re.compile(
    r"^(?:improve|increase|enhance|better|be (?:more )?(?:careful|vigilant|aware)|pay (?:more )?attention"
    r"|try (?:to|harder)|make sure|ensure|monitor|review|look into|investigate|consider|think about|fix|"
    r"communicate|document|add more|more|do|don't|avoid|remember|train|educate|double[- ]check|check|test"
    r"|revisit|update|clean ?up|work on|address|handle|prevent|reduce|optimi[sz]e)\b",
    re.IGNORECASE,
)
_CONCRETE = re.compile(
    r"\d|%|[`\"“]|\b[A-Z][a-z]+[A-Z]\w*\b|\b\w+[._/:-]\w+\b"  # numbers, quotes, CamelCase, names.with.dots
    r"|\b(?:when|if|above|below|before|after|every|each|within|per|for all|on every|instead of|so that|by)\b",
)
_VAGUE_OBJECT = re.compile(
    r"\b(?:monitoring|alerting|communication|testing|tests|documentation|docs|process|processes|awareness"
    r"|coverage|visibility|observability|quality|reliability|resilience|training|care|attention|vigilance)\b",
    re.IGNORECASE,
)
MIN_WORDS = 5
SPECIFIC_WORDS = 8  # a vague verb is fine when the rest names what changes, where


def generic(text: str) -> str | None:
    """Why ``text`` is too generic to ship, or None when it is specific enough."""
    words = text.split()
    concrete = _CONCRETE.search(" ".join(words[1:]))
    if len(words) < MIN_WORDS and not concrete:
        return f"“{text}” is too short to act on"
    if _VAGUE_START.match(text) and not concrete:
        if len(words) < SPECIFIC_WORDS or _VAGUE_OBJECT.search(text):
            return f"“{text}” says what to get better at, not what to change"
    return None


GUIDANCE = (
    "Name the change, what it applies to and how you will know it is done, e.g. "
    "“Alert when checkout p99 latency is above 2 s for 5 minutes” or "
    "“Require a second reviewer for changes under infra/db”."
)
