"""Where a case's location came from; SMS listed on their case; who an e-mail reply was from.

Revision ID: 0004_location_source
Revises: 0003
Create Date: 2026-12-05 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_location_source"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        # Cases from before stay null: their location is kept on a change of customer
        # unless it is the previous object's or customer's (domain/cases/location.py).
        batch_op.add_column(sa.Column("location_source", sa.String(length=16), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_id", Id, nullable=True))
        batch_op.add_column(sa.Column("sent_by_id", Id, nullable=True))
        batch_op.create_foreign_key(
            "fk_outbox_case_id_cases", "cases", ["case_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            "fk_outbox_sent_by_id_users", "users", ["sent_by_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_outbox_case", ["case_id", "id"], unique=False)
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_address", sa.String(length=320), nullable=True))
        batch_op.add_column(
            sa.Column(
                "from_unknown_sender", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.drop_column("from_unknown_sender")
        batch_op.drop_column("sender_address")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_case")
        batch_op.drop_constraint("fk_outbox_sent_by_id_users", type_="foreignkey")
        batch_op.drop_constraint("fk_outbox_case_id_cases", type_="foreignkey")
        batch_op.drop_column("sent_by_id")
        batch_op.drop_column("case_id")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("location_source")
