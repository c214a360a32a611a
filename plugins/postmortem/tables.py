"""The postmortem plugin's tables: one postmortem per incident, and action items across incidents."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Index, Integer, MetaData, String, Table, Text

from chatops.storage.types import UTCDateTime

metadata = MetaData()

postmortems = Table(
    "postmortems",
    metadata,
    Column("incident_id", Integer, primary_key=True),
    Column("sections", JSON, nullable=False),  # section name -> text
    Column("chain", JSON, nullable=False),  # root cause: each "how was this possible?" level, in order
    Column("status", String(20), nullable=False),  # draft | published
    Column("created_by", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime, nullable=True),
    Column("published_by", String(255), nullable=True),
    Column("blame_override", Text, nullable=True),  # why it was published despite flagged sentences
    Column("published_to", JSON, nullable=True),  # where the publishers put it (paths, URLs), in order
)

action_items = Table(
    "action_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("owner_id", String(255), nullable=False),
    Column("owner_name", String(255), nullable=False),
    Column("due", String(10), nullable=False),  # ISO date: a day, not an instant
    Column("status", String(20), nullable=False),  # open | done | dropped
    Column("created_by", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("closed_by", String(255), nullable=True),
    Column("drop_reason", Text, nullable=True),
)
Index("ix_action_items_open", action_items.c.status, action_items.c.due)
Index("ix_action_items_incident", action_items.c.incident_id)

# An action item's copy in a tracker (chatops_action_item_export): one per item and exporter.
action_item_links = Table(
    "action_item_links",
    metadata,
    Column("item_id", Integer, primary_key=True),
    Column("exporter", String(50), primary_key=True),
    Column("external_id", String(255), nullable=False),  # what the tracker's webhooks name: 42, OPS-7
    Column("ref", String(255), nullable=False),  # shown in chat: github#42, OPS-7
    Column("url", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
Index(
    "ix_action_item_links_external",
    action_item_links.c.exporter,
    action_item_links.c.external_id,
    unique=True,
)
