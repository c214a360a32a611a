"""What the status page shows: public incidents, their public updates, component states, drafts."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Index, Integer, MetaData, String, Table, Text, false

from chatops.storage.types import UTCDateTime

metadata = MetaData()

public_incidents = Table(
    "status_incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", Integer, nullable=True, unique=True),  # the internal incident it tells of
    Column("name", String(300), nullable=False),  # the public title
    Column("status", String(20), nullable=False),  # investigating | identified | monitoring | resolved
    Column("impact", String(20), nullable=False),  # none | minor | major | critical
    Column("components", JSON, nullable=False),  # component id -> status while it lasted
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("monitoring_at", UTCDateTime, nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("kind", String(20), nullable=False, server_default="incident"),  # incident | maintenance
    Column("scheduled_for", UTCDateTime, nullable=True),  # maintenance: the announced window
    Column("scheduled_until", UTCDateTime, nullable=True),
    # a drill's publication: shown only on the sandbox page, never on the real one nor to publishers
    Column("sandbox", Boolean, nullable=False, server_default=false()),
)
Index("ix_status_incidents_updated", public_incidents.c.updated_at)

public_updates = Table(
    "status_updates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("status_incident_id", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("body", Text, nullable=False),
    Column("components", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("published_by", String(255), nullable=False),
)
Index("ix_status_updates_incident", public_updates.c.status_incident_id, public_updates.c.id)

component_states = Table(
    "status_components",
    metadata,
    Column("component_id", String(63), primary_key=True),
    Column("status", String(30), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

drafts = Table(
    "status_drafts",
    metadata,
    Column("incident_id", Integer, primary_key=True),
    Column("body", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("impact", String(20), nullable=False),
    Column("components", JSON, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("title", String(300), nullable=True),  # the public title, if this draft sets it
)

external_ids = Table(
    "status_external_ids",
    metadata,
    Column("publisher", String(100), primary_key=True),
    Column("status_incident_id", Integer, primary_key=True),
    Column("external_id", String(255), nullable=False),
)
