"""Bridged rooms: which rooms are one conversation, and the copies of each message in them.

Revision ID: core_0006
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "core_0006"
down_revision = "core_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chatops_room_links",
        sa.Column("room_id", sa.String(255), primary_key=True),
        sa.Column("bridge", sa.String(64), nullable=False),
        sa.Column("linked_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_chatops_room_links_bridge", "chatops_room_links", ["bridge"])
    with op.batch_alter_table("chatops_outbox") as batch:
        batch.add_column(sa.Column("copies", sa.String(255), nullable=True))
    op.create_index("ix_chatops_outbox_copies", "chatops_outbox", ["copies", "room_id"], unique=True)
    op.create_index("ix_chatops_outbox_message", "chatops_outbox", ["room_id", "message_id"])


def downgrade() -> None:
    op.drop_index("ix_chatops_outbox_message", "chatops_outbox")
    op.drop_index("ix_chatops_outbox_copies", "chatops_outbox")
    with op.batch_alter_table("chatops_outbox") as batch:
        batch.drop_column("copies")
    op.drop_table("chatops_room_links")
