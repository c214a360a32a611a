"""The alerts plugin's tables: notifications as received, alert groups, the alerts in them."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from chatops.storage.types import UTCDateTime

metadata = MetaData()

notifications = Table(
    "alert_notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("alerts", Integer, nullable=False),
    Column("body", Text, nullable=False),  # as received, for the record
)

groups = Table(
    "alert_groups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(100), nullable=False),
    Column("group_key", String(500), nullable=False),
    Column("status", String(20), nullable=False),  # firing | resolving | resolved
    Column("title", String(300), nullable=False),
    Column("service", String(100), nullable=True),
    Column("severity", Integer, nullable=False),
    Column("policy", String(100), nullable=True),
    Column("room_id", String(255), nullable=True),
    Column("ticket_only", Boolean, nullable=False),
    Column("labels", JSON, nullable=False),  # the first alert's labels
    Column("firing", Integer, nullable=False),  # alerts firing now
    Column("alerts", Integer, nullable=False),  # distinct alerts seen
    Column("notifications", Integer, nullable=False),
    Column("flaps", Integer, nullable=False),  # times an alert fired again within the flap window
    Column("started_at", UTCDateTime, nullable=False),  # the earliest startsAt: impact began
    Column("detected_at", UTCDateTime, nullable=False),  # the first notification arrived: we knew
    Column("updated_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("resolved_by", String(255), nullable=True),
    Column("acked_by", String(255), nullable=True),
    Column("acked_at", UTCDateTime, nullable=True),
    Column("page_id", Integer, nullable=True),
    Column("incident_id", Integer, nullable=True),
)
Index("ix_alert_groups_open", groups.c.group_key, groups.c.status)

instances = Table(
    "alert_instances",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("group_id", Integer, nullable=False),
    Column("fingerprint", String(100), nullable=False),
    Column("status", String(20), nullable=False),  # firing | resolved
    Column("labels", JSON, nullable=False),
    Column("annotations", JSON, nullable=False),
    Column("url", Text, nullable=True),
    Column("starts_at", UTCDateTime, nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("repeats", Integer, nullable=False),  # notifications that said nothing new
    UniqueConstraint("group_id", "fingerprint", name="uq_alert_instances_group_fingerprint"),
)
