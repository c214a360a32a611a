"""The ``notify`` section: how e-mail, push and SMS/voice reach people, and the acknowledge links.

Each channel exists only when its section is configured; a person's rules
(``oncall.people.<x>.notify``) name the channels in the order they fire.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from chatops.clock import parse_duration
from chatops_plugins.oncall.config import PHONE


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SmtpConfig(_Section):
    host: str
    port: int = Field(587, gt=0, lt=65536)
    security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls (port 587), tls (implicit, port 465), none (a local relay only)"
    )
    username: str | None = None
    password: SecretStr | None = None
    sender: str = Field(description="The From address, e.g. chatops <oncall@example.org>")
    ca_file: str | None = Field(None, description="CA certificates to trust (a relay with an internal CA)")
    timeout_s: float = Field(15.0, gt=0, le=30)


class NtfyConfig(_Section):
    url: str = Field("https://ntfy.sh", pattern=r"^https?://", description="The ntfy server")
    token: SecretStr | None = Field(None, description="An access token, for a protected server")


class TwilioConfig(_Section):
    api_url: str = Field("https://api.twilio.com", pattern=r"^https?://")
    account_sid: str
    auth_token: SecretStr = Field(description="Signs Twilio's webhooks too")
    from_number: str = Field(description="The number messages and calls come from, E.164")

    @field_validator("from_number")
    @classmethod
    def _number(cls, value: str) -> str:
        if not PHONE.fullmatch(value):
            raise ValueError(f"{value!r} is not a phone number in E.164 (e.g. +15005550006)")
        return value


class NotifyConfig(_Section):
    public_url: str | None = Field(
        None, pattern=r"^https?://", description="This server as phones reach it (acknowledge links)"
    )
    link_secret: SecretStr | None = Field(None, description="Signs acknowledge links (none without it)")
    link_ttl: str = Field("1h", description="How long an acknowledge link works")
    escalate_after: int = Field(
        3, ge=1, le=10, description="Failed attempts of a channel before the person's next rule goes at once"
    )
    smtp: SmtpConfig | None = None
    ntfy: NtfyConfig | None = None
    twilio: TwilioConfig | None = None

    @field_validator("link_ttl")
    @classmethod
    def _ttl(cls, value: str) -> str:
        if not timedelta(minutes=1) <= parse_duration(value) <= timedelta(days=1):
            raise ValueError("an acknowledge link lives between 1m and 1d")
        return value

    @property
    def link_lifetime(self) -> timedelta:
        return parse_duration(self.link_ttl)

    @property
    def links(self) -> bool:
        return self.public_url is not None and self.link_secret is not None
