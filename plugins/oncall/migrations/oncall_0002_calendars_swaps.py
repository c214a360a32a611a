"""On-call: imported calendar layers and shift swaps.

Revision ID: oncall_0002
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "oncall_0002"
down_revision = "oncall_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oncall_calendars",
        sa.Column("schedule", sa.String(100), primary_key=True),
        sa.Column("layer", sa.String(100), primary_key=True),
        sa.Column("shifts", sa.JSON, nullable=False),
        sa.Column("unmatched", sa.JSON, nullable=False),
        sa.Column("fetched_at", UTCDateTime, nullable=True),
        sa.Column("checked_at", UTCDateTime, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_table(
        "oncall_swaps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("schedule", sa.String(100), nullable=False),
        sa.Column("requester", sa.String(100), nullable=False),
        sa.Column("partner", sa.String(100), nullable=False),
        sa.Column("mine_from", UTCDateTime, nullable=False),
        sa.Column("mine_to", UTCDateTime, nullable=False),
        sa.Column("theirs_from", UTCDateTime, nullable=False),
        sa.Column("theirs_to", UTCDateTime, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("decided_at", UTCDateTime, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("oncall_swaps")
    op.drop_table("oncall_calendars")
