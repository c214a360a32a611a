"""Injectable clocks.

Everything that asks "what time is it?" asks the app's clock, so tests (and
``chatops shell --fake-clock``) can move time forward without sleeping.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


class Clock:
    """Wall-clock time in UTC."""

    fake = False

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime, wake: asyncio.Event) -> None:
        """Return at ``when`` or as soon as ``wake`` is set, whichever is first."""
        delay = (when - self.now()).total_seconds()
        if delay <= 0:
            return
        try:
            await asyncio.wait_for(wake.wait(), timeout=delay)
        except TimeoutError:
            pass


class FakeClock(Clock):
    """A clock that only moves when told to.

    The scheduler never sleeps on a fake clock: ``App.advance`` walks time
    forward and fires every timer due on the way at its own due time.
    """

    fake = True

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a fake clock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when < self._now:
            raise ValueError("time does not go backwards")
        self._now = when

    async def sleep_until(self, when: datetime, wake: asyncio.Event) -> None:
        await wake.wait()


_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?\s*$")


def parse_duration(text: str) -> timedelta:
    """Parse ``90s``, ``5m``, ``2h``, ``1h30m``, ``1d``; raise ValueError otherwise."""
    match = _DURATION.match(text.lower())
    if not text.strip() or not match or not any(match.groups()):
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 5m, 2h, 1h30m)")
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    try:
        return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration") from None


def format_duration(delta: timedelta) -> str:
    """``timedelta(minutes=90)`` -> ``1h 30min``."""
    total = int(delta.total_seconds())
    if total < 60:
        return f"{total}s"
    hours, rest = divmod(total, 3600)
    minutes = rest // 60
    if hours and minutes:
        return f"{hours}h {minutes}min"
    if hours:
        return f"{hours}h"
    return f"{minutes} min"


def parse_instant(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """Parse an ISO 8601 time, ``HH:MM`` (the latest such time, in ``tz``), or ``<duration> ago``."""
    raw = text.strip()
    try:
        if raw.endswith("ago"):
            return now - parse_duration(raw.removesuffix("ago").strip())
        hm = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
        if hm:
            try:
                local = now.astimezone(tz).replace(
                    hour=int(hm[1]), minute=int(hm[2]), second=0, microsecond=0
                )
            except ValueError:
                raise ValueError(f"{raw} is not a time of day") from None
            if local.astimezone(UTC) > now:
                local -= timedelta(days=1)
            return _existing(local, tz, raw)
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not a time: {text!r} (use 14:02, 2026-03-01T14:02:00Z or '20m ago')") from None
        if parsed.tzinfo is None:
            return _existing(parsed.replace(tzinfo=tz), tz, raw)
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is too far from now") from None


def _existing(local: datetime, tz: ZoneInfo, raw: str) -> datetime:
    """UTC for a wall-clock time, refusing one a DST change skipped (02:30 on spring-forward day)."""
    utc = local.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValueError(f"{raw} did not happen in {tz.key} that day (the clocks went forward)")
    return utc
