"""One row of milestones per incident, as epoch seconds and period names, so SQL aggregates them fast."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table

metadata = MetaData()

milestones = Table(
    "incident_milestones",
    metadata,
    Column("incident_id", Integer, primary_key=True),
    Column("severity", Integer, nullable=False),
    Column("near_miss", Boolean, nullable=False),
    Column("detected_s", BigInteger, nullable=False),  # Unix seconds
    Column("started_s", BigInteger, nullable=True),
    Column("paged_s", BigInteger, nullable=True),
    Column("acked_s", BigInteger, nullable=True),
    Column("mitigated_s", BigInteger, nullable=True),
    Column("resolved_s", BigInteger, nullable=True),
    Column("week", String(8), nullable=False),  # 2026-W10, of detection (UTC)
    Column("month", String(7), nullable=False),  # 2026-03
    Column("quarter", String(7), nullable=False),  # 2026-Q1
)
Index("ix_incident_milestones_detected", milestones.c.detected_s)

labels = Table(
    "incident_labels",
    metadata,
    Column("incident_id", Integer, primary_key=True),
    Column("kind", String(20), primary_key=True),  # tag | service | alert
    Column("value", String(500), primary_key=True),
    Column("detected_s", BigInteger, nullable=False),
)
Index("ix_incident_labels_value", labels.c.kind, labels.c.value, labels.c.detected_s)
