"""The incident plugin's tables (migrations in ``migrations/``)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text, false

from chatops.storage.types import UTCDateTime

metadata = MetaData()

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("severity", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("private", Boolean, nullable=False),
    Column("near_miss", Boolean, nullable=False),
    Column("drill", Boolean, nullable=False, server_default=false()),
    Column("declared_at", UTCDateTime, nullable=False),
    Column("declared_by", String(255), nullable=False),
    Column("detected_at", UTCDateTime, nullable=True),
    Column("started_at", UTCDateTime, nullable=True),
    Column("identified_at", UTCDateTime, nullable=True),
    Column("mitigated_at", UTCDateTime, nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("room_id", String(255), nullable=True),
    Column("room_name", String(255), nullable=False),
    Column("status_message_id", String(255), nullable=True),
    Column("origin_room_id", String(255), nullable=True),
    Column("hypothesis", Text, nullable=True),
    Column("last_update_at", UTCDateTime, nullable=True),
    Column("last_update", Text, nullable=True),
    Column("tags", JSON, nullable=False),
    Column("services", JSON, nullable=False),
)
Index("ix_incidents_room", incidents.c.room_id)
Index("ix_incidents_status", incidents.c.status)

incident_roles = Table(
    "incident_roles",
    metadata,
    Column("incident_id", Integer, ForeignKey("incidents.id"), primary_key=True),
    Column("role", String(50), primary_key=True),
    Column("user_id", String(255), nullable=False),
    Column("user_name", String(255), nullable=False),
)
