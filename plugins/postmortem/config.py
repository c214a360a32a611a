"""The ``postmortem`` config section."""

from __future__ import annotations

from datetime import time, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chatops.clock import parse_duration


class PostmortemConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    directory: str = Field("./postmortems", description="Where the built-in publisher writes documents")
    formats: list[str] = Field(["markdown", "html"], description="markdown and/or html")
    templates_dir: str | None = Field(
        None, description="Your own postmortem.md.j2 / postmortem.html.j2 (the built-in ones otherwise)"
    )
    max_open_actions: int = Field(3, ge=1, le=20, description="Open action items per incident")
    remind_every: str = Field("7d", description="How often an overdue action item reminds its owner")
    remind_at: str = Field("09:00", description="The time of day reminders go out (in the app's timezone)")
    due_within: str = Field(
        "5d", description="A required postmortem is due this long after the incident is resolved"
    )

    @field_validator("formats")
    @classmethod
    def _formats(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - {"markdown", "html"})
        if unknown:
            raise ValueError(f"unknown format(s) {unknown}: use markdown and/or html")
        return value

    @field_validator("due_within")
    @classmethod
    def _due(cls, value: str) -> str:
        if parse_duration(value) < timedelta(days=1):
            raise ValueError("due_within: at least 1d (e.g. 5d)")
        return value

    @field_validator("remind_every")
    @classmethod
    def _every(cls, value: str) -> str:
        if parse_duration(value) < timedelta(days=1):
            raise ValueError("remind at most once a day (e.g. 1d, 7d)")
        return value

    @field_validator("remind_at")
    @classmethod
    def _at(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not a time of day: {value!r} (use HH:MM, e.g. 09:00)") from None
        return value
