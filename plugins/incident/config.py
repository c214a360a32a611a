"""The incident plugin's settings (config section ``incident``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class BridgeRule(BaseModel):
    """Incidents of these severities (and services) get their room on these platforms too, bridged."""

    model_config = ConfigDict(extra="forbid")

    severities: list[int] = Field([], description="Levels the rule applies to (empty: every level).")
    services: list[str] = Field([], description="Services the rule applies to (empty: every service).")
    also: list[str] = Field(
        min_length=1, description="Transports to open the room on, e.g. [slack, discord]."
    )


class IncidentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    declarer_is_ic: bool = Field(True, description="The person who declares becomes Incident Commander.")
    room_prefix: str = Field("inc", description="Incident rooms are named <prefix>-<number>-<title>.")
    max_title_chars: int = Field(200, gt=0)
    bridge_rules: list[BridgeRule] = Field(
        [], description="Open incident rooms on other platforms too (bridged), by severity and service."
    )
