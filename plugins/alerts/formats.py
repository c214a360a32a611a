"""Alert payloads (pure): Alertmanager's webhook v4, Grafana alerting, and a generic JSON format.

Each is validated and turned into the same plain values; a payload that
does not fit raises ``PayloadError`` with the first problems and where they
are (``alerts.0.status: …``), which the receiver answers with 400.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class PayloadError(ValueError):
    """The payload cannot be read; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Alert:
    fingerprint: str
    status: str  # firing | resolved
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None
    url: str | None

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "alert")

    @property
    def summary(self) -> str:
        return self.annotations.get("summary") or self.annotations.get("description") or ""


@dataclass(frozen=True, slots=True)
class Notification:
    alerts: tuple[Alert, ...]
    group_key: str | None  # the source's own grouping (Alertmanager's and Grafana's groupKey)


def fingerprint(labels: dict[str, str]) -> str:
    """A stable id of a label set (what Alertmanager computes when a source sends none)."""
    text = json.dumps(sorted(labels.items()), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def bounded(text: str, limit: int) -> str:
    """``text`` if it fits the column, else a prefix and a hash of the whole (distinct stays distinct)."""
    if len(text) <= limit:
        return text
    return text[: limit - 33] + "#" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _when(value: datetime | None) -> datetime | None:
    """Alertmanager writes "0001-01-01T00:00:00Z" for "not yet"."""
    if value is None or value.year < 1971:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _AmAlert(_Model):
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(min_length=1)
    annotations: dict[str, str] = {}
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    generatorURL: str = ""
    fingerprint: str = ""
    dashboardURL: str = ""
    panelURL: str = ""


class _AmPayload(_Model):
    version: str
    groupKey: str
    status: Literal["firing", "resolved"]
    alerts: list[_AmAlert] = Field(min_length=1)


class _GenericAlert(_Model):
    name: str = Field(min_length=1, max_length=200)
    status: Literal["firing", "resolved"] = "firing"
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    summary: str = ""
    fingerprint: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    url: str = ""


class _GenericPayload(_Model):
    alerts: list[_GenericAlert] = Field(min_length=1)
    group: str | None = None


def _problems(error: ValidationError) -> str:
    shown = []
    for item in error.errors()[:3]:
        where = ".".join(str(part) for part in item["loc"]) or "payload"
        shown.append(f"{where}: {item['msg']}")
    more = len(error.errors()) - len(shown)
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")


def _validated(model: type[_Model], body: Any) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise PayloadError(_problems(exc)) from None


def parse(format: str, body: Any) -> Notification:
    """``body`` (decoded JSON) of a source in ``format`` -> a Notification."""
    if not isinstance(body, dict):
        raise PayloadError("the payload is not a JSON object")
    if format in ("alertmanager", "grafana"):
        payload = _validated(_AmPayload, body)
        expected = "4" if format == "alertmanager" else "1"
        if payload.version != expected:
            raise PayloadError(f"version {payload.version!r}: {format} webhooks send version {expected!r}")
        alerts = tuple(
            Alert(
                fingerprint=bounded(a.fingerprint or fingerprint(a.labels), 100),
                status=a.status,
                labels=a.labels,
                annotations=a.annotations,
                starts_at=_when(a.startsAt),
                ends_at=_when(a.endsAt),
                url=a.panelURL or a.dashboardURL or a.generatorURL or None,
            )
            for a in payload.alerts
        )
        return Notification(alerts, payload.groupKey)
    generic = _validated(_GenericPayload, body)
    alerts = tuple(
        Alert(
            fingerprint=bounded(a.fingerprint or fingerprint({**a.labels, "alertname": a.name}), 100),
            status=a.status,
            labels={**a.labels, "alertname": a.name},
            annotations={**a.annotations, **({"summary": a.summary} if a.summary else {})},
            starts_at=_when(a.starts_at),
            ends_at=_when(a.ends_at),
            url=a.url or None,
        )
        for a in generic.alerts
    )
    return Notification(alerts, generic.group)
