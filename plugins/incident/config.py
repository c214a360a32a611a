"""The incident plugin's settings (config section ``incident``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class IncidentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    declarer_is_ic: bool = Field(True, description="The person who declares becomes Incident Commander.")
    room_prefix: str = Field("inc", description="Incident rooms are named <prefix>-<number>-<title>.")
    max_title_chars: int = Field(200, gt=0)
