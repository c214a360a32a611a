"""``mitigations:``: the allowlist of webhooks and local commands people may run from chat.

Nothing runs that is not written here.  A command is an argument list
(never a shell line); ``{param}`` in it, in a webhook's URL or body is
replaced by that argument once validated against its declared type.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from chatops.clock import parse_duration
from chatops_plugins.mitigate.api import NAME, RESERVED, SAFE_WORD, Param

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParamConfig(_Section):
    type: Literal["text", "int", "choice"] = "text"
    choices: list[str] = []
    pattern: str = Field(SAFE_WORD, description="for text: a regular expression the whole value matches")
    min: int | None = None
    max: int | None = None
    help: str = ""

    @model_validator(mode="after")
    def _choices_given(self) -> ParamConfig:
        if self.type == "choice" and not self.choices:
            raise ValueError("a choice needs its choices: [a, b]")
        re.compile(self.pattern)
        return self

    def param(self, name: str) -> Param:
        return Param(name, self.type, tuple(self.choices), self.pattern, self.min, self.max, self.help)


class WebhookConfig(_Section):
    url: str = Field(pattern=r"^https?://", description="where to send the request ({param} in its path)")
    method: Literal["POST", "PUT", "PATCH", "DELETE", "GET"] = "POST"
    headers: dict[str, SecretStr] = Field({}, description="e.g. Authorization: Bearer ${DEPLOY_TOKEN}")
    body: dict[str, Any] | None = Field(
        None, description="the JSON to send ({param} in strings); by default the action, incident and args"
    )

    @field_validator("url")
    @classmethod
    def _host_is_fixed(cls, value: str) -> str:
        origin = value.split("://", 1)[1].split("/", 1)[0]
        if "{" in origin:
            raise ValueError("the host is fixed: {param} may only appear in the path or query")
        return value


class ActionConfig(_Section):
    help: str
    params: dict[str, ParamConfig] = {}
    webhook: WebhookConfig | None = None
    command: list[str] | None = Field(None, min_length=1, description="argv, run without a shell")
    roles: list[str] = Field(["ic", "admin"], description="who may run it (default: the IC and admins)")
    timeout: str = "30s"
    services: list[str] = Field([], description="only for incidents on these services (default: any)")

    @field_validator("timeout")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not timedelta(0) < parse_duration(value) <= timedelta(minutes=15):
            raise ValueError("a timeout between 1s and 15m")
        return value

    @model_validator(mode="after")
    def _one_way_to_act(self) -> ActionConfig:
        if (self.webhook is None) == (self.command is None):
            raise ValueError("give either webhook: or command:, not both or neither")
        used = set(PLACEHOLDER.findall(" ".join(self.templates())))
        unknown = used - set(self.params)
        if unknown:
            raise ValueError(f"{sorted(unknown)} used but not declared under params:")
        return self

    def templates(self) -> list[str]:
        if self.command is not None:
            return list(self.command)
        assert self.webhook is not None
        return [self.webhook.url, *_strings(self.webhook.body)]

    @property
    def timeout_s(self) -> float:
        return parse_duration(self.timeout).total_seconds()


class MitigationsConfig(_Section):
    confirm_within: str = Field("10m", description="a request not confirmed by then must be made again")
    actions: dict[str, ActionConfig] = {}

    @field_validator("actions")
    @classmethod
    def _names(cls, actions: dict[str, ActionConfig]) -> dict[str, ActionConfig]:
        for name in actions:
            if not NAME.fullmatch(name) or name in RESERVED:
                raise ValueError(
                    f"action {name!r}: use lowercase letters, digits and dashes, "
                    f"not one of {', '.join(sorted(RESERVED))}"
                )
        return actions

    @field_validator("confirm_within")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def confirm_window(self) -> timedelta:
        return parse_duration(self.confirm_within)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
