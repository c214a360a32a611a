"""How the bot writes times: local, with the zone, and relative where it helps."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chatops.clock import format_duration


def local_time(when: datetime, tz: ZoneInfo, now: datetime | None = None) -> str:
    """``14:37 CET``; with the date when ``when`` is not on ``now``'s local day."""
    local = when.astimezone(tz)
    zone = local.tzname() or ""
    if now is not None and now.astimezone(tz).date() != local.date():
        return f"{local:%Y-%m-%d %H:%M} {zone}"
    return f"{local:%H:%M} {zone}"


def relative(when: datetime, now: datetime) -> str:
    """``in 15 min`` / ``5 min ago`` / ``now``."""
    seconds = (when - now).total_seconds()
    if abs(seconds) < 60:
        return "now"
    delta = timedelta(minutes=round(seconds / 60))  # 14 min 59 s reads as "in 15 min"
    if seconds > 0:
        return f"in {format_duration(delta)}"
    return f"{format_duration(-delta)} ago"


def iso_utc(when: datetime | None) -> str | None:
    """``2026-03-02T14:00:00Z`` (None stays None)."""
    if when is None:
        return None
    return when.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
