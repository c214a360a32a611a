"""Incidents and their role holders.

Revision ID: incident_0001
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "incident_0001"
down_revision = None
branch_labels = ("incident",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("private", sa.Boolean, nullable=False),
        sa.Column("near_miss", sa.Boolean, nullable=False),
        sa.Column("declared_at", UTCDateTime, nullable=False),
        sa.Column("declared_by", sa.String(255), nullable=False),
        sa.Column("detected_at", UTCDateTime, nullable=True),
        sa.Column("started_at", UTCDateTime, nullable=True),
        sa.Column("identified_at", UTCDateTime, nullable=True),
        sa.Column("mitigated_at", UTCDateTime, nullable=True),
        sa.Column("resolved_at", UTCDateTime, nullable=True),
        sa.Column("room_id", sa.String(255), nullable=True),
        sa.Column("room_name", sa.String(255), nullable=False),
        sa.Column("origin_room_id", sa.String(255), nullable=True),
        sa.Column("hypothesis", sa.Text, nullable=True),
        sa.Column("last_update_at", UTCDateTime, nullable=True),
        sa.Column("last_update", sa.Text, nullable=True),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("services", sa.JSON, nullable=False),
    )
    op.create_index("ix_incidents_room", "incidents", ["room_id"])
    op.create_index("ix_incidents_status", "incidents", ["status"])
    op.create_table(
        "incident_roles",
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("role", sa.String(50), primary_key=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("user_name", sa.String(255), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("incident_roles")
    op.drop_table("incidents")
