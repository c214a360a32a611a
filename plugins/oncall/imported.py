"""Shifts from an external iCal calendar (pure): calendar text in, shifts out.

Teams often keep a cover rota in a shared calendar (holiday cover, a
follow-the-sun partner team, another tool's export).  Each event of such a
calendar is a shift; recurring events are expanded over a horizon.  An
event names its person by an attendee e-mail, or by its summary: a
person's key (``alice``, ``@alice``) or one of their ``external`` names
(``Alice Smith``, ``alice@example.org``).  An event naming nobody (or
several people) is reported, never guessed.

Times: an event with a timezone keeps it; a floating time or an all-day
date is read in the schedule's timezone (an all-day event runs from
midnight to midnight there, DST included).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from chatops_plugins.oncall.schedule import Shift, localize

_WORD = re.compile(r"[@\w.+-]+")


class CalendarError(ValueError):
    """The text is not a calendar we can read; the message says why."""


@dataclass(frozen=True, slots=True)
class Imported:
    shifts: tuple[Shift, ...]
    unmatched: tuple[str, ...]  # "summary (why)" of each event that names nobody we know


class Directory:
    """Finds the person an event names, from people's keys and their external names."""

    def __init__(self, people: Mapping[str, Iterable[str]]) -> None:
        self._words: dict[str, set[str]] = {}
        self._phrases: list[tuple[re.Pattern[str], str]] = []
        for key, names in people.items():
            self._words.setdefault(key.lower(), set()).add(key)
            for name in names:
                if _WORD.fullmatch(name):
                    self._words.setdefault(name.lower(), set()).add(key)
                else:  # several words ("Alice Smith"): matched as a phrase
                    pattern = re.compile(rf"(?<![\w@]){re.escape(name)}(?![\w])", re.IGNORECASE)
                    self._phrases.append((pattern, key))

    def identify(self, summary: str, attendees: Iterable[str]) -> tuple[str | None, str]:
        """The person, or None and why not."""
        by_mail = {p for a in attendees for p in self._words.get(a.lower(), ())}
        if len(by_mail) == 1:
            return by_mail.pop(), ""
        words = {w.lower() for w in _WORD.findall(summary)}
        words |= {w.lstrip("@") for w in words}
        named = {p for w in words for p in self._words.get(w, ())}
        named |= {key for pattern, key in self._phrases if pattern.search(summary)}
        if len(named) == 1:
            return named.pop(), ""
        if named:
            return None, f"names {len(named)} people: {', '.join(sorted(named))}"
        return None, "names nobody in oncall.people"


def _instant(value: date | datetime, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return localize(value, tz)
        return value.astimezone(UTC)
    return localize(datetime.combine(value, time()), tz)


def _span(event: Any, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    start_value = event.decoded("DTSTART", None)
    if start_value is None:
        return None
    if "DTEND" in event:
        end_value = event.decoded("DTEND")
    elif "DURATION" in event:
        end_value = start_value + event.decoded("DURATION")
    elif isinstance(start_value, datetime):
        return None  # an instant, not a shift
    else:
        end_value = start_value + timedelta(days=1)
    return _instant(start_value, tz), _instant(end_value, tz)


def parse(text: str, *, start: datetime, end: datetime, tz: ZoneInfo, directory: Directory) -> Imported:
    """The shifts of calendar ``text`` that overlap ``[start, end)``."""
    begins = text.strip()[:40]
    not_one = "not an iCal calendar " + (f"(it begins {begins!r})" if begins else "(it is empty)")
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except Exception:  # icalendar raises ValueError, IndexError, KeyError on garbage
        raise CalendarError(not_one) from None
    if not isinstance(calendar, icalendar.Calendar):
        raise CalendarError(not_one)
    try:
        events = list(recurring_ical_events.of(calendar).between(start, end))
    except Exception as exc:  # a broken RRULE or timezone in the source
        raise CalendarError(f"the calendar's events cannot be expanded ({exc})") from None
    shifts: list[Shift] = []
    unmatched: list[str] = []
    for event in events:
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        span = _span(event, tz)
        if span is None or span[1] <= span[0]:
            continue
        summary = str(event.get("SUMMARY", "")).strip()
        attendees = event.get("ATTENDEE", [])
        if not isinstance(attendees, list):
            attendees = [attendees]
        mails = [str(a).removeprefix("mailto:").removeprefix("MAILTO:") for a in attendees]
        person, why = directory.identify(summary, mails)
        if person is None:
            unmatched.append(f"{summary or '(no summary)'} ({why})")
        else:
            shifts.append(Shift(span[0], span[1], person))
    shifts.sort(key=lambda s: (s.starts_at, s.ends_at, s.person))
    return Imported(tuple(shifts), tuple(dict.fromkeys(unmatched)))
