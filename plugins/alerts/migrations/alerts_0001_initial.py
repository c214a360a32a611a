"""Alerts: notifications, groups, the alerts in them.

Revision ID: alerts_0001
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "alerts_0001"
down_revision = None
branch_labels = ("alerts",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "alert_notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
        sa.Column("alerts", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "alert_groups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("group_key", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("service", sa.String(100), nullable=True),
        sa.Column("severity", sa.Integer, nullable=False),
        sa.Column("policy", sa.String(100), nullable=True),
        sa.Column("room_id", sa.String(255), nullable=True),
        sa.Column("ticket_only", sa.Boolean, nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("firing", sa.Integer, nullable=False),
        sa.Column("alerts", sa.Integer, nullable=False),
        sa.Column("notifications", sa.Integer, nullable=False),
        sa.Column("flaps", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("detected_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("resolved_at", UTCDateTime, nullable=True),
        sa.Column("resolved_by", sa.String(255), nullable=True),
        sa.Column("acked_by", sa.String(255), nullable=True),
        sa.Column("acked_at", UTCDateTime, nullable=True),
        sa.Column("page_id", sa.Integer, nullable=True),
        sa.Column("incident_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_alert_groups_open", "alert_groups", ["group_key", "status"])
    op.create_table(
        "alert_instances",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("group_id", sa.Integer, nullable=False),
        sa.Column("fingerprint", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("annotations", sa.JSON, nullable=False),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("starts_at", UTCDateTime, nullable=True),
        sa.Column("resolved_at", UTCDateTime, nullable=True),
        sa.Column("last_seen_at", UTCDateTime, nullable=False),
        sa.Column("repeats", sa.Integer, nullable=False),
        sa.UniqueConstraint("group_id", "fingerprint", name="uq_alert_instances_group_fingerprint"),
    )


def downgrade() -> None:
    op.drop_table("alert_instances")
    op.drop_table("alert_groups")
    op.drop_table("alert_notifications")
