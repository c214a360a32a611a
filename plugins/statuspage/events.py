"""What the status page plugin adds to the incident's timeline."""

from __future__ import annotations

from chatops.events import DomainEvent


class StatusPublished(DomainEvent):
    kind = "status_published"
    text: str
