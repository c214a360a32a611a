"""Deliveries to systems other than chat (e-mail, push, SMS, webhooks): stored, then sent, retried.

Revision ID: core_0005
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "core_0005"
down_revision = "core_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chatops_deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(63), nullable=False),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("lane", sa.String(255), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("next_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
        sa.Column("gave_up_at", UTCDateTime, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index(
        "ix_chatops_deliveries_due", "chatops_deliveries", ["delivered_at", "gave_up_at", "next_at"]
    )


def downgrade() -> None:
    op.drop_table("chatops_deliveries")
