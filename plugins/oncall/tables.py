"""The on-call plugin's tables: overrides, swaps, pages and who they reached, account links, calendars."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text

from chatops.storage.types import UTCDateTime

metadata = MetaData()

overrides = Table(
    "oncall_overrides",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("schedule", String(100), nullable=False),
    Column("person", String(100), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_oncall_overrides_schedule", overrides.c.schedule, overrides.c.ends_at)

pages = Table(
    "oncall_pages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("target", String(255), nullable=False),  # schedule:platform, user:alice, policy:default
    Column("message", Text, nullable=False),
    Column("severity", Integer, nullable=True),
    Column("incident_id", Integer, nullable=True),
    Column("room_id", String(255), nullable=True),  # where it was raised (the incident room)
    Column("policy", JSON, nullable=False),  # the snapshot it runs on
    Column("state", String(20), nullable=False),  # waiting | open | acknowledged | exhausted
    Column("step", Integer, nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("acked_by", String(255), nullable=True),
    Column("acked_at", UTCDateTime, nullable=True),
)

notified = Table(
    "oncall_notified",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("page_id", Integer, nullable=False),
    Column("person", String(100), nullable=False),
    Column("step", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
Index("ix_oncall_notified_person", notified.c.person, notified.c.page_id)

links = Table(
    "oncall_links",
    metadata,
    Column("account", String(255), primary_key=True),
    Column("person", String(100), nullable=False),
    Column("linked_at", UTCDateTime, nullable=False),
)

link_codes = Table(
    "oncall_link_codes",
    metadata,
    Column("code", String(20), primary_key=True),
    Column("account", String(255), nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

calendars = Table(
    "oncall_calendars",
    metadata,
    Column("schedule", String(100), primary_key=True),
    Column("layer", String(100), primary_key=True),
    Column("shifts", JSON, nullable=False),  # [[starts_at ISO, ends_at ISO, person], ...]
    Column("unmatched", JSON, nullable=False),  # events that name nobody known, as shown to people
    Column("fetched_at", UTCDateTime, nullable=True),  # the last good copy
    Column("checked_at", UTCDateTime, nullable=False),  # the last attempt
    Column("error", Text, nullable=True),  # why the last attempt failed (the good copy stays)
)

swaps = Table(
    "oncall_swaps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("schedule", String(100), nullable=False),
    Column("requester", String(100), nullable=False),
    Column("partner", String(100), nullable=False),
    Column("mine_from", UTCDateTime, nullable=False),  # the requester's shift the partner takes
    Column("mine_to", UTCDateTime, nullable=False),
    Column("theirs_from", UTCDateTime, nullable=False),  # the partner's shift the requester takes
    Column("theirs_to", UTCDateTime, nullable=False),
    Column("state", String(20), nullable=False),  # requested | accepted | declined | withdrawn
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime, nullable=True),
)
