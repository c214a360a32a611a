"""The ``oncall`` config section: people, schedules, escalation policies, paging rules.

Every mistake is reported with the key and the fix when chatops starts
(an unknown timezone, a participant nobody defined, a policy naming a
schedule that does not exist), never later in the middle of a page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from chatops.clock import parse_duration
from chatops_plugins.oncall.policy import Policy, Step
from chatops_plugins.oncall.schedule import WEEKDAYS, Layer, Rotation, Schedule, Shifts, Turns, Window


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r} (use an IANA name such as Europe/Berlin)") from None


def duration(text: str) -> timedelta:
    """``parse_duration`` plus weeks (``1w``, ``2w``)."""
    text = text.strip().lower()
    if text.endswith("w") and text[:-1].isdigit():
        return timedelta(weeks=int(text[:-1]))
    return parse_duration(text)


def _clock(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a time of day: {text!r} (use HH:MM, e.g. 09:00)") from None


class NotifyRule(_Section):
    channel: str = Field("chat", description="A notification channel (chat is built in)")
    after: str = Field("0s", description="How long after the page reaches the person")

    @field_validator("after")
    @classmethod
    def _after(cls, value: str) -> str:
        duration(value)
        return value


class WorkingHours(_Section):
    """Days and hours, wall-clock, in a timezone given elsewhere (a person's own)."""

    days: list[str] = ["mon", "tue", "wed", "thu", "fri"]
    start: str = "09:00"
    end: str = "17:00"

    @model_validator(mode="after")
    def _valid(self) -> WorkingHours:
        unknown = [d for d in self.days if d.lower()[:3] not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown day(s) {unknown} (use mon … sun)")
        if _clock(self.start) == _clock(self.end):
            raise ValueError("start and end are the same time")
        return self

    def window_in(self, tz: str) -> Window:
        days = frozenset(WEEKDAYS.index(d.lower()[:3]) for d in self.days)
        return Window(days, _clock(self.start), _clock(self.end), zone(tz))

    def describe(self) -> str:
        """``mon tue wed thu fri 09:00-17:00``."""
        return f"{' '.join(d.lower()[:3] for d in self.days)} {self.start}-{self.end}"


class HoursConfig(WorkingHours):
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        zone(value)
        return value

    def window(self, tz: str | None = None) -> Window:
        return self.window_in(tz or self.timezone)


EMAIL = re.compile(r"[^@\s<>]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
PHONE = re.compile(r"\+[1-9][0-9]{7,14}")  # E.164
NTFY_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,64}")


class PersonConfig(_Section):
    timezone: str = "UTC"
    accounts: list[str] = Field([], description="Chat accounts: slack:U0123, matrix:@alice:example.org, …")
    external: list[str] = Field([], description="Ids or e-mails at on-call providers (PagerDuty, a roster)")
    notify: list[NotifyRule] = Field(default_factory=lambda: [NotifyRule()])
    working_hours: WorkingHours | None = Field(
        None,
        description="Their working hours, in their own timezone (default: business_hours' days and "
        "hours); only the on-call load report reads it",
    )
    email: str | None = Field(None, description="Where the email channel writes")
    phone: str | None = Field(None, description="For the sms and voice channels, in E.164: +4915112345678")
    ntfy_topic: str | None = Field(None, description="The person's ntfy topic, for the push channel")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.fullmatch(value):
            raise ValueError(f"{value!r} is not an e-mail address (e.g. alice@example.org)")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        compact = re.sub(r"[\s()./-]", "", value)
        if not PHONE.fullmatch(compact):
            raise ValueError(f"{value!r} is not a phone number in E.164 (e.g. +4915112345678)")
        return compact

    @field_validator("ntfy_topic")
    @classmethod
    def _topic(cls, value: str | None) -> str | None:
        if value is not None and not NTFY_TOPIC.fullmatch(value):
            raise ValueError(f"{value!r} is not an ntfy topic (letters, digits, _ and -, at most 64)")
        return value


class IcalSource(_Section):
    url: SecretStr = Field(
        description="The calendar's address (a private link is a secret: it is never shown or logged)"
    )
    refresh: str = Field("15m", description="How often it is fetched again")
    token: SecretStr | None = Field(None, description="Sent as a bearer token, if the calendar needs one")

    @field_validator("url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("http://", "https://")):
            raise ValueError("an iCal url starts with https:// (or http://)")
        return value

    @field_validator("refresh")
    @classmethod
    def _refresh(cls, value: str) -> str:
        if duration(value) < timedelta(minutes=1):
            raise ValueError("refresh at most once a minute")
        return value


class LayerConfig(_Section):
    name: str = "primary"
    participants: list[str] = Field([], description="People (keys of oncall.people), in turn order")
    start: str | None = Field(
        None,
        description="The first hand-off, local time in the schedule's timezone: its weekday and time "
        "are every hand-off's (e.g. 2026-01-05 09:00, a Monday)",
    )
    shift: str = Field("1w", description="1w (weekly), 1d (daily), 12h, …")
    ical: IcalSource | None = Field(
        None, description="Shifts from an external calendar, instead of a rotation"
    )
    restrict: HoursConfig | None = Field(None, description="Coverage hours; none: 24/7")

    @field_validator("start")
    @classmethod
    def _start(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not a date and time: {value!r} (use e.g. 2026-01-05 09:00)") from None
        return value

    @field_validator("shift")
    @classmethod
    def _shift(cls, value: str) -> str:
        if duration(value) < timedelta(hours=1):
            raise ValueError("a shift lasts at least an hour")
        return value

    @model_validator(mode="after")
    def _turns(self) -> LayerConfig:
        if self.ical is not None:
            if self.participants or self.start:
                raise ValueError(f"layer {self.name!r}: either ical or participants and start, not both")
        elif not self.participants or self.start is None:
            raise ValueError(
                f"layer {self.name!r} needs participants and start (a rotation), or ical (a calendar)"
            )
        return self


class ScheduleConfig(_Section):
    timezone: str = "UTC"
    layers: list[LayerConfig] = Field(
        [], description="Lowest priority first; a later layer wins where it covers"
    )
    provider: str = Field("builtin", description="builtin, or a provider plugin's name (pagerduty, http)")
    external_id: str | None = Field(None, description="The schedule's id at the provider")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        zone(value)
        return value

    @model_validator(mode="after")
    def _layer_names(self) -> ScheduleConfig:
        names = [layer.name for layer in self.layers]
        imported = {layer.name for layer in self.layers if layer.ical is not None}
        twice = sorted(n for n in imported if names.count(n) > 1)
        if twice:
            raise ValueError(f"layer name(s) {twice} used twice: give each calendar layer its own name")
        return self

    def build(self, name: str, imported: Mapping[str, Shifts] | None = None) -> Schedule:
        """The schedule; ``imported`` holds each calendar layer's stored shifts (none yet: empty)."""
        tz = zone(self.timezone)
        imported = imported or {}

        def turns(layer: LayerConfig) -> Turns:
            if layer.ical is not None:
                return imported.get(layer.name, Shifts(()))
            assert layer.start is not None
            start = datetime.fromisoformat(layer.start).replace(tzinfo=None)
            return Rotation(tuple(layer.participants), start, duration(layer.shift), tz)

        layers = tuple(
            Layer(
                layer.name,
                turns(layer),
                layer.restrict.window(
                    layer.restrict.timezone
                    if "timezone" in layer.restrict.model_fields_set
                    else self.timezone
                )
                if layer.restrict
                else None,
            )
            for layer in self.layers
        )
        return Schedule(name, tz, layers)


class StepConfig(_Section):
    targets: list[str] = Field(description="schedule:<name>, user:<person>, or room:<room id>")
    after: str = Field("5m", description="Move on when nobody acknowledged within this")

    @field_validator("after")
    @classmethod
    def _after(cls, value: str) -> str:
        duration(value)
        return value

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        for target in value:
            kind, _, name = target.partition(":")
            if kind not in ("schedule", "user", "room") or not name:
                raise ValueError(f"target {target!r}: use schedule:<name>, user:<person> or room:<room id>")
        if not value:
            raise ValueError("a step needs at least one target")
        return value


class PolicyConfig(_Section):
    steps: list[StepConfig]
    repeat: int = Field(0, ge=0, le=10, description="Run the steps again this many times")


class OncallConfig(_Section):
    people: dict[str, PersonConfig] = {}
    schedules: dict[str, ScheduleConfig] = {}
    policies: dict[str, PolicyConfig] = {}
    severity_policies: dict[int, str] = Field(
        {}, description="Severity level -> the policy a declaration pages"
    )
    business_hours: HoursConfig = HoursConfig()
    around_the_clock: list[int] = Field([1, 2], description="Severities that page outside business hours")
    page_from_rooms: list[str] = Field(
        [], description="Rooms whose declarations page (empty: any room); the declarer must be in people"
    )
    link_code_ttl: str = Field("10m", description="How long a !whoami link code is valid")
    ical_secret: SecretStr | None = Field(None, description="Signs the iCal feed links (no feeds without it)")
    ic_schedule: str | None = Field(
        None, description="The schedule of trained Incident Commanders: a declaration names who is on duty"
    )
    page_ic_for: list[int] = Field([1], description="Severities whose declaration pages the IC on duty")
    public_url: str | None = Field(None, description="This server as people reach it, for feed links")

    @model_validator(mode="after")
    def _references(self) -> OncallConfig:
        for name, schedule in self.schedules.items():
            for layer in schedule.layers:
                unknown = [p for p in layer.participants if p not in self.people]
                if unknown:
                    raise ValueError(f"schedules.{name}: {unknown} not in oncall.people")
        for name, policy in self.policies.items():
            for step in policy.steps:
                for target in step.targets:
                    kind, _, ref = target.partition(":")
                    if kind == "schedule" and ref not in self.schedules:
                        raise ValueError(
                            f"policies.{name}: no schedule {ref!r} (known: {sorted(self.schedules)})"
                        )
                    if kind == "user" and ref not in self.people:
                        raise ValueError(f"policies.{name}: no person {ref!r} in oncall.people")
        if self.ic_schedule is not None and self.ic_schedule not in self.schedules:
            raise ValueError(
                f"ic_schedule: no schedule {self.ic_schedule!r} (known: {sorted(self.schedules)})"
            )
        for level, policy_name in self.severity_policies.items():
            if policy_name not in self.policies:
                raise ValueError(f"severity_policies.{level}: no policy {policy_name!r}")
        seen: dict[str, str] = {}
        for person, config in self.people.items():
            for account in config.accounts:
                if account in seen:
                    raise ValueError(f"account {account} belongs to both {seen[account]} and {person}")
                seen[account] = person
        return self

    def policy(self, name: str) -> Policy | None:
        """The policy ``name`` as the snapshot a page runs on."""
        spec = self.policies.get(name)
        if spec is None:
            return None
        steps = tuple(Step(tuple(s.targets), duration(s.after)) for s in spec.steps)
        return Policy(name, steps, spec.repeat)

    def person_of(self, account: str) -> str | None:
        return next((p for p, c in self.people.items() if account in c.accounts), None)

    def person_known_as(self, *external: str) -> str | None:
        """The person whose ``external`` ids include one of these (case-insensitive)."""
        wanted = {e.lower() for e in external if e}
        return next((p for p, c in self.people.items() if wanted & {e.lower() for e in c.external}), None)
