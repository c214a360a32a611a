"""Settings of the Slack transport (``transports: {slack: {...}}``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class SlackConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["socket", "http"] = Field(
        "socket", description="socket: no public URL needed; http: Slack posts to this server's web endpoints"
    )
    bot_token: SecretStr = Field(description="Bot User OAuth Token (xoxb-…)")
    app_token: SecretStr | None = Field(
        None, description="App-level token with connections:write (xapp-…), for Socket Mode"
    )
    signing_secret: SecretStr | None = Field(
        None, description="The app's signing secret, which verifies every HTTP request (mode: http)"
    )
    api_url: str = Field("https://slack.com/api/", description="Web API base URL (tests point it elsewhere)")
    path: str = Field("/slack", description="Where the HTTP endpoints live on the web server (mode: http)")
    public_url: str | None = Field(
        None, description="This server as Slack reaches it (https://chatops.example.org), for the manifest"
    )
    command_prefix: str | None = Field(None, description="Defaults to the core command_prefix")
    text_commands: bool = Field(True, description="Also run !commands typed in channels the bot is in")
    responders: list[str] = Field([], description="Slack user ids invited into every incident channel")
    slash_command_prefix: str = Field(
        "", description="Prefix for every slash command (e.g. 'ops-' makes /ops-incident)"
    )
    rate_limit_retries: int = Field(10, ge=0, description="How often a call answered 429 is retried")

    @field_validator("api_url")
    @classmethod
    def _slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("use the Web API URL, e.g. https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("use an absolute path, e.g. /slack")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _credentials(self) -> SlackConfig:
        if not self.bot_token.get_secret_value().startswith("xox"):
            raise ValueError("bot_token is the Bot User OAuth Token, starting xoxb-")
        if self.mode == "socket" and self.app_token is None:
            raise ValueError(
                "Socket Mode needs an app-level token (xapp-…, scope connections:write): set app_token "
                "(e.g. CHATOPS_TRANSPORTS__SLACK__APP_TOKEN), or use mode: http"
            )
        if self.mode == "http" and self.signing_secret is None:
            raise ValueError(
                "HTTP mode needs the app's signing secret to verify requests: set signing_secret "
                "(e.g. CHATOPS_TRANSPORTS__SLACK__SIGNING_SECRET)"
            )
        return self
