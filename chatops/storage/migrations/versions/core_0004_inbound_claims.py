"""Inbound commands claimed by event id, so replicas on one database handle each once.

Revision ID: core_0004
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chatops_inbound",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("claimed_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_chatops_inbound_claimed_at", "chatops_inbound", ["claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_chatops_inbound_claimed_at", "chatops_inbound")
    op.drop_table("chatops_inbound")
