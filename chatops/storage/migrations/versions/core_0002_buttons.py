"""Buttons: the command each stable action id stands for, so a button outlives a restart.

Revision ID: core_0002
"""

import sqlalchemy as sa
from alembic import op

from chatops.storage.types import UTCDateTime

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chatops_buttons",
        sa.Column("action_id", sa.String(255), primary_key=True),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chatops_buttons")
