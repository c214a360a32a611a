"""The ``mitigation_runs`` table, as its migration builds it."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text

from chatops.storage.types import UTCDateTime

metadata = MetaData()
runs = Table(
    "mitigation_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, nullable=False),
    Column("room_id", String(255), nullable=False),
    Column("action", String(40), nullable=False),
    Column("args", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("requested_by", String(255), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("confirmed_by", String(255), nullable=True),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("result", Text, nullable=True),
)
Index("ix_mitigation_runs_incident", runs.c.incident_id, runs.c.id)
Index("ix_mitigation_runs_status", runs.c.status)
