"""What mitigations add to the incident's timeline (and so to its postmortem)."""

from __future__ import annotations

from chatops.events import DomainEvent


class MitigationStarted(DomainEvent):
    kind = "mitigation_started"
    run_id: int
    action: str
    args: dict[str, str | int]
    requested_by: str
    text: str


class MitigationFinished(DomainEvent):
    kind = "mitigation_finished"
    run_id: int
    action: str
    outcome: str  # succeeded | failed | timed_out | interrupted
    text: str
