"""The ``alerts`` config section: sources, the service catalog, routing rules.

Every source authenticates: a bearer token, or an HMAC signature of the
body (with a timestamp inside a replay window).  A source with neither is
refused when chatops starts, not left open.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from chatops.clock import parse_duration
from chatops_plugins.alerts.routing import Matcher, parse_matcher

FORMATS = ("alertmanager", "grafana", "generic")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _duration(value: str) -> str:
    parse_duration(value)
    return value


class SourceConfig(_Section):
    format: Literal["alertmanager", "grafana", "generic"] = Field(description="The payload format")
    token: SecretStr | None = Field(None, description="Expected as 'Authorization: Bearer <token>'")
    hmac_secret: SecretStr | None = Field(
        None, description="The signature header holds hex HMAC-SHA256(secret, '<timestamp>:<body>')"
    )
    signature_header: str = Field(
        "", description="Default: X-Grafana-Alerting-Signature for grafana, else X-Chatops-Signature"
    )
    timestamp_header: str = Field(
        "X-Chatops-Timestamp",
        description="Unix seconds, signed with the body; empty: the body alone is signed (no replay check)",
    )
    replay_window: str = Field("5m", description="How old a signed request's timestamp may be")
    max_body_kb: int = Field(1024, gt=0, le=65536)

    @field_validator("replay_window")
    @classmethod
    def _replay(cls, value: str) -> str:
        return _duration(value)

    @model_validator(mode="after")
    def _authenticated(self) -> SourceConfig:
        if self.token is None and self.hmac_secret is None:
            raise ValueError("a source needs a token or an hmac_secret: webhooks are never open")
        if not self.signature_header:
            grafana = self.format == "grafana"
            self.signature_header = "X-Grafana-Alerting-Signature" if grafana else "X-Chatops-Signature"
        return self


class ServiceConfig(_Section):
    team: str = ""
    policy: str | None = Field(None, description="The on-call escalation policy its alerts page")
    rooms: list[str] = Field([], description="Where its alert groups are posted (the first room)")
    components: list[str] = Field([], description="Its status-page components")


class RouteConfig(_Section):
    match: list[str] = Field([], description='Label matchers: "alertname=DiskFull", "env=~prod|staging"')
    service: str | None = None
    severity: int | None = Field(None, ge=1, le=9)
    policy: str | None = Field(None, description="Overrides the service's policy")
    room: str | None = Field(None, description="Overrides the service's room")
    ticket_only: bool = Field(False, description="Recorded and shown, pages no one (a cause, not a symptom)")
    declare: bool = Field(False, description="Declare an incident when a group of these fires")
    group_by: list[str] = Field([], description="Group by these labels instead of the source's grouping")

    @field_validator("match")
    @classmethod
    def _matchers(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_matcher(text)
        return value

    def matchers(self) -> tuple[Matcher, ...]:
        return tuple(parse_matcher(text) for text in self.match)


class AlertmanagerApi(_Section):
    url: str = Field("", description="Alertmanager's address, for !silence (e.g. http://alertmanager:9093)")
    token: SecretStr | None = None
    timeout_s: float = Field(5.0, gt=0, le=30)


class AlertsConfig(_Section):
    sources: dict[str, SourceConfig] = Field({}, description="Each is POSTed to /alerts/<name>")
    services: dict[str, ServiceConfig] = {}
    routes: list[RouteConfig] = Field([], description="The first route whose matchers all match wins")
    default_room: str | None = Field(None, description="Where alerts no route places go")
    default_policy: str | None = Field(None, description="What alerts no route places page (none: nobody)")
    severity_labels: dict[str, int] = Field(
        {"critical": 1, "page": 1, "high": 2, "error": 2, "warning": 3, "info": 4},
        description="The 'severity' label's value -> severity, where a route sets none",
    )
    default_severity: int = 3
    flap_window: str = Field(
        "5m", description="A resolved group is held this long: firing again within it is flapping, not new"
    )
    edit_every: str = Field(
        "1s", description="While groups keep changing, their messages are edited this often"
    )
    alertmanager: AlertmanagerApi = AlertmanagerApi()

    @field_validator("flap_window", "edit_every")
    @classmethod
    def _durations(cls, value: str) -> str:
        return _duration(value)

    @model_validator(mode="after")
    def _references(self) -> AlertsConfig:
        for index, route in enumerate(self.routes):
            if route.service is not None and route.service not in self.services:
                raise ValueError(f"routes.{index}: no service {route.service!r} in alerts.services")
        return self

    def flap(self) -> timedelta:
        return parse_duration(self.flap_window)

    def edit_interval(self) -> timedelta:
        return parse_duration(self.edit_every)
