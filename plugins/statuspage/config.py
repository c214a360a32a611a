"""The ``statuspage`` config section: the page, its components, and who publishes."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from chatops.clock import parse_duration


class ComponentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="Used in --components and the JSON")
    name: str
    group: str | None = Field(None, description="Components with the same group are shown together")
    description: str | None = None


class AtlassianConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_url: str = "https://api.statuspage.io/v1"
    page_id: str
    api_key: SecretStr
    components: dict[str, str] = Field({}, description="Our component id -> its component id at Statuspage")


class WebhookConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    url: str
    secret: SecretStr = Field(description="Signs each delivery (HMAC-SHA256 of '<timestamp>:<body>')")


class StatuspageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field("Status", description="The page's title")
    public_url: str = Field("", description="Where customers read it, e.g. https://status.example.org")
    time_zone: str = "UTC"
    components: list[ComponentConfig] = []
    history_days: int = Field(90, ge=1, le=365)
    templates_dir: str | None = Field(
        None, description="Your own status.html.j2 (the built-in one otherwise)"
    )

    update_every: dict[int, str] = Field(
        {1: "30m", 2: "1h"}, description="Severity -> how long the page may stay silent before reminders"
    )
    stakeholder_room: str | None = Field(None, description="Gets an impact-first line on each major change")
    atlassian: AtlassianConfig | None = Field(
        None, description="Also publish to an Atlassian Statuspage page"
    )
    webhooks: list[WebhookConfig] = Field([], description="Also POST each change, signed, to these URLs")

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
            ) from None
        return value

    @field_validator("update_every")
    @classmethod
    def _every(cls, value: dict[int, str]) -> dict[int, str]:
        for text in value.values():
            if parse_duration(text) < timedelta(minutes=5):
                raise ValueError("update_every: at least 5m between reminders")
        return value

    def component_ids(self) -> list[str]:
        return [c.id for c in self.components]
