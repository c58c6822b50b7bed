"""Where a case's location came from; SMS listed on their case; who an e-mail reply was from.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Plain ADD COLUMNs, no batch: on SQLite a batch rebuilds the table, and dropping the old
    # one with foreign keys on would cascade into the rows that refer to it.
    # Cases from before stay null: their location is kept on a change of customer unless it
    # is the previous object's or customer's (domain/cases/location.py).
    op.add_column("cases", sa.Column("location_source", sa.String(length=16), nullable=True))
    # SQLite cannot add a constraint to a table without rebuilding it: there the links stay
    # plain columns (a deleted case's SMS are listed nowhere; a deleted sender reads as null).
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column, table in (("case_id", "cases"), ("sent_by_id", "users")):
        op.add_column("outbox", sa.Column(column, Id, nullable=True))
        if not sqlite:
            op.create_foreign_key(
                f"fk_outbox_{column}_{table}",
                "outbox",
                table,
                [column],
                ["id"],
                ondelete="SET NULL",
            )
    op.create_index("ix_outbox_case", "outbox", ["case_id", "id"], unique=False)
    op.add_column(
        "conversation_messages", sa.Column("sender_address", sa.String(length=320), nullable=True)
    )
    op.add_column(
        "conversation_messages",
        sa.Column("from_unknown_sender", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("conversation_messages", "from_unknown_sender")
    op.drop_column("conversation_messages", "sender_address")
    op.drop_index("ix_outbox_case", table_name="outbox")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_outbox_sent_by_id_users", "outbox", type_="foreignkey")
        op.drop_constraint("fk_outbox_case_id_cases", "outbox", type_="foreignkey")
    op.drop_column("outbox", "sent_by_id")
    op.drop_column("outbox", "case_id")
    op.drop_column("cases", "location_source")
