"""The API's bodies as pydantic models: requests are validated by them, and the OpenAPI
document is built from them, so what is documented is what is checked.

Requests are strict (a string is not a number, a number not a boolean) and
refuse unknown fields, so a typo is a 400 naming the field rather than a
setting silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from chatops_plugins.incident.api import LABEL_MAX

NOT_BLANK = r"\S"  # at least one character that is not white space
MAX_LABELS = 20
MAX_UPDATE_CHARS = 4000

Label = Annotated[str, Field(min_length=1, max_length=LABEL_MAX, pattern=NOT_BLANK)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class DeclareRequest(_Request):
    """What ``!incident declare`` takes; the same rules apply."""

    title: str = Field(min_length=1, pattern=NOT_BLANK, description="What is wrong, as users see it")
    severity: int | str | None = Field(
        None, description="A level (2) or its name or alias (Sev2, P1); default: the configured default"
    )
    started_at: AwareDatetime | None = Field(None, description="When impact began (not in the future)")
    private: bool = Field(False, description="Invite-only room; listed only to participants and admins")
    near_miss: bool = Field(False, description="Caught before users were affected")
    tags: list[Label] = Field([], max_length=MAX_LABELS)
    services: list[Label] = Field([], max_length=MAX_LABELS, description="Affected services")


class UpdateRequest(_Request):
    """What ``!incident update`` takes: impact first, then mitigation, then the next update."""

    text: str = Field(min_length=1, max_length=MAX_UPDATE_CHARS, pattern=NOT_BLANK)


class Problem(BaseModel):
    """Every error answer: the reason, in words a person can act on."""

    error: str


class Role(BaseModel):
    user: str = Field(description="The holder's user id (transport:user)")
    name: str


class TimelineEvent(BaseModel):
    """One domain event of the incident, as in ``chatops export`` (docs/export-format.md)."""

    at: str = Field(description="UTC, ISO 8601 with Z")
    actor: str = Field(description="Who caused it: a user id, api:<integration>, alerts, oncall")
    kind: str = Field(description="incident_declared, update_posted, status_changed, ...")
    text: str | None = Field(description="What a person wrote (an update, a note, a reason)")
    data: dict[str, Any]


class Incident(BaseModel):
    id: int
    ref: str = Field(description="INC-<id>")
    title: str
    severity: int
    severity_label: str
    status: Literal["investigating", "identified", "mitigated", "resolved"]
    private: bool
    near_miss: bool
    tags: list[str]
    services: list[str]
    declared_at: str
    declared_by: str
    started_at: str | None
    mitigated_at: str | None
    resolved_at: str | None
    last_update_at: str | None
    last_update: str | None
    room: str | None = Field(description="The incident room's name (null until it is opened)")
    roles: dict[str, Role] = Field(description="Current holders by role: ic, tech-lead, comms-lead")


class IncidentList(BaseModel):
    incidents: list[Incident] = Field(description="Newest first")


class IncidentWithTimeline(BaseModel):
    incident: Incident
    timeline: list[TimelineEvent] = Field(description="Oldest first")


class Page(BaseModel):
    id: int
    ref: str = Field(description="P-<id>")
    state: Literal["waiting", "open", "acknowledged", "exhausted", "stopped"]
    message: str
    incident: str | None = Field(description="INC-<id> it pages for, if any")
    acked_by: str | None
    acked_at: str | None
