"""Replicas: inbound commands claimed by event id, so replicas on one database handle each once;
an outbox row keeps the idempotency key of the direct send it replaces.

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
    with op.batch_alter_table("chatops_outbox") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chatops_outbox") as batch:
        batch.drop_column("idempotency_key")
    op.drop_index("ix_chatops_inbound_claimed_at", "chatops_inbound")
    op.drop_table("chatops_inbound")
