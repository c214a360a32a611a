"""Settings of the Discord transport (``transports: {discord: {...}}``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class DiscordConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: SecretStr = Field(description="The bot token (Developer Portal → Bot → Token)")
    guild_ids: list[int] = Field(
        [],
        description="Guilds whose slash commands are kept in sync (none: global commands)",
    )
    incident_category_id: int | None = Field(None, description="Create incident channels in this category")
    responders: list[int] = Field([], description="Role ids that see and write in every incident channel")
    text_commands: bool = Field(
        False,
        description="Also run !commands typed in channels (needs the message content intent)",
    )
    command_prefix: str | None = Field(None, description="Defaults to the core command_prefix")
    interactions: Literal["gateway", "http"] = Field(
        "gateway",
        description="http: Discord posts interactions to the web server (Ed25519-verified)",
    )
    public_key: str | None = Field(None, description="The application's public key (hex)")
    path: str = Field("/discord", description="Where the interactions endpoint lives (interactions: http)")
    api_url: str | None = Field(None, description="REST base URL (tests point it at a local Discord)")
    gateway_url: str | None = Field(None, description="Gateway URL (tests point it at a local Discord)")

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("use an absolute path, e.g. /discord")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _http(self) -> DiscordConfig:
        if self.interactions == "http":
            key = self.public_key or ""
            if len(key) != 64 or any(c not in "0123456789abcdefABCDEF" for c in key):
                raise ValueError(
                    "interactions: http needs public_key, the application's 64-hex-digit public key "
                    "(Developer Portal → General Information)"
                )
        return self
