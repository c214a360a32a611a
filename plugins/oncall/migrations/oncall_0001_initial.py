"""On-call: overrides, pages, notifications, account links.

Revision ID: oncall_0001
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "oncall_0001"
down_revision = None
branch_labels = ("oncall",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("schedule", sa.String(100), nullable=False),
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("starts_at", UTCDateTime, nullable=False),
        sa.Column("ends_at", UTCDateTime, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_oncall_overrides_schedule", "oncall_overrides", ["schedule", "ends_at"])
    op.create_table(
        "oncall_pages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("severity", sa.Integer, nullable=True),
        sa.Column("incident_id", sa.Integer, nullable=True),
        sa.Column("room_id", sa.String(255), nullable=True),
        sa.Column("policy", sa.JSON, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("acked_by", sa.String(255), nullable=True),
        sa.Column("acked_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "oncall_notified",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("page_id", sa.Integer, nullable=False),
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_oncall_notified_person", "oncall_notified", ["person", "page_id"])
    op.create_table(
        "oncall_links",
        sa.Column("account", sa.String(255), primary_key=True),
        sa.Column("person", sa.String(100), nullable=False),
        sa.Column("linked_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "oncall_link_codes",
        sa.Column("code", sa.String(20), primary_key=True),
        sa.Column("account", sa.String(255), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("oncall_link_codes", "oncall_links", "oncall_notified", "oncall_pages", "oncall_overrides"):
        op.drop_table(table)
