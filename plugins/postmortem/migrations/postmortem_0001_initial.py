"""Postmortems and action items.

Revision ID: postmortem_0001
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "postmortem_0001"
down_revision = None
branch_labels = ("postmortem",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "postmortems",
        sa.Column("incident_id", sa.Integer, primary_key=True),
        sa.Column("sections", sa.JSON, nullable=False),
        sa.Column("chain", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=True),
        sa.Column("published_by", sa.String(255), nullable=True),
        sa.Column("blame_override", sa.Text, nullable=True),
    )
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("owner_id", sa.String(255), nullable=False),
        sa.Column("owner_name", sa.String(255), nullable=False),
        sa.Column("due", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("closed_at", UTCDateTime, nullable=True),
        sa.Column("closed_by", sa.String(255), nullable=True),
        sa.Column("drop_reason", sa.Text, nullable=True),
    )
    op.create_index("ix_action_items_open", "action_items", ["status", "due"])
    op.create_index("ix_action_items_incident", "action_items", ["incident_id"])


def downgrade() -> None:
    op.drop_table("action_items")
    op.drop_table("postmortems")
