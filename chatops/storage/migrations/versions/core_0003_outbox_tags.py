"""Outbox rows can go to a person (their direct room, found at delivery), carry a tag,
and remember the message they became, so a later change (an acknowledged page) can edit it.

Revision ID: core_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chatops_outbox") as batch:
        batch.add_column(sa.Column("to_user", sa.String(255), nullable=True))
        batch.add_column(sa.Column("tag", sa.String(255), nullable=True))
        batch.add_column(sa.Column("message_id", sa.String(255), nullable=True))
    op.create_index("ix_chatops_outbox_tag", "chatops_outbox", ["tag"])


def downgrade() -> None:
    op.drop_index("ix_chatops_outbox_tag", "chatops_outbox")
    with op.batch_alter_table("chatops_outbox") as batch:
        batch.drop_column("message_id")
        batch.drop_column("tag")
        batch.drop_column("to_user")
