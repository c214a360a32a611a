"""The ``api`` config section: which integrations may call the HTTP API, and for what.

Each integration has its own token and only the actions it was given, so a
leaked deploy-bot token cannot acknowledge pages it was never meant to.
Tokens are secrets: keep them out of the file with the usual environment
variables (``CHATOPS_API__INTEGRATIONS__DEPLOY_BOT__TOKEN``).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

Action = Literal["incidents.read", "incidents.declare", "incidents.update", "pages.ack"]
ACTIONS: tuple[Action, ...] = ("incidents.read", "incidents.declare", "incidents.update", "pages.ack")
MIN_TOKEN_CHARS = 16
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntegrationConfig(_Section):
    token: SecretStr = Field(description="Expected as 'Authorization: Bearer <token>'")
    actions: list[Action] = Field(min_length=1, description=f"What it may do: {', '.join(ACTIONS)}")

    @field_validator("token")
    @classmethod
    def _strong(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if len(secret) < MIN_TOKEN_CHARS or secret != secret.strip():
            raise ValueError(
                f"use a random token of at least {MIN_TOKEN_CHARS} characters without surrounding "
                "spaces (e.g. from: openssl rand -hex 32)"
            )
        return value


class ApiConfig(_Section):
    integrations: dict[str, IntegrationConfig] = Field(
        {}, description="By name; each request acts as api:<name> (no integrations: every call is 401)"
    )
    max_body_kb: int = Field(64, gt=0, le=1024, description="Larger request bodies are refused with 413")

    @field_validator("integrations")
    @classmethod
    def _names(cls, value: dict[str, IntegrationConfig]) -> dict[str, IntegrationConfig]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(
                    f"integration name {name!r}: use lowercase letters, digits, '-' and '_' (e.g. deploy_bot)"
                )
        return value

    @model_validator(mode="after")
    def _distinct_tokens(self) -> ApiConfig:
        seen: dict[str, str] = {}
        for name, integration in self.integrations.items():
            secret = integration.token.get_secret_value()
            if secret in seen:
                raise ValueError(f"integrations {seen[secret]} and {name} share a token; give each its own")
            seen[secret] = name
        return self
