"""Status page: public incidents, updates, component states, drafts.

Revision ID: statuspage_0001
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "statuspage_0001"
down_revision = None
branch_labels = ("statuspage",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "status_incidents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, nullable=True, unique=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("impact", sa.String(20), nullable=False),
        sa.Column("components", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("monitoring_at", UTCDateTime, nullable=True),
        sa.Column("resolved_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_status_incidents_updated", "status_incidents", ["updated_at"])
    op.create_table(
        "status_updates",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("status_incident_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("components", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("published_by", sa.String(255), nullable=False),
    )
    op.create_index("ix_status_updates_incident", "status_updates", ["status_incident_id", "id"])
    op.create_table(
        "status_components",
        sa.Column("component_id", sa.String(63), primary_key=True),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "status_drafts",
        sa.Column("incident_id", sa.Integer, primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("impact", sa.String(20), nullable=False),
        sa.Column("components", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("status_drafts")
    op.drop_table("status_components")
    op.drop_table("status_updates")
    op.drop_table("status_incidents")
