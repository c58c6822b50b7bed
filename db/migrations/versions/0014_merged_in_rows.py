"""Comments and customer messages a merge moved onto a case keep their ids, and say so.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-15 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_TABLES = ("comments", "conversation_messages")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(
            table, sa.Column("merged_in", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_column(table, "merged_in")
