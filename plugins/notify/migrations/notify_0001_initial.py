"""Acknowledge links (signed, single-use, expiring) and the platform webhooks already handled.

Revision ID: notify_0001
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "notify_0001"
down_revision = None
branch_labels = ("notify",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table(
        "notify_links",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("page_id", sa.Integer, nullable=False),
        sa.Column("person", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("used_at", UTCDateTime, nullable=True),
    )
    op.create_table(
        "notify_inbound",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notify_inbound")
    op.drop_table("notify_links")
