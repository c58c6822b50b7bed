"""Attachments: files on a case, its comments and its customer messages; and the index
that finds the message an outgoing mail sends.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-09 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", Id, nullable=False),
        sa.Column("case_id", Id, nullable=False),
        sa.Column("comment_id", Id, nullable=True),
        sa.Column("message_id", Id, nullable=True),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("uploaded_by_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_attachments_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_attachments_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comments.id"],
            name="fk_attachments_comment_id_comments",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["conversation_messages.id"],
            name="fk_attachments_message_id_conversation_messages",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
        sa.UniqueConstraint("storage_key", name="uq_attachments_storage_key"),
    )
    op.create_index("ix_attachments_tenant_id", "attachments", ["tenant_id"])
    op.create_index("ix_attachments_case", "attachments", ["case_id", "id"])
    op.create_index("ix_attachments_comment", "attachments", ["comment_id"])
    op.create_index("ix_attachments_message", "attachments", ["message_id"])
    # The outbox sender finds the message a mail sends, and so its attachments.
    op.create_index("ix_conversation_messages_outbox", "conversation_messages", ["outbox_id"])


def downgrade() -> None:
    op.drop_index("ix_conversation_messages_outbox", table_name="conversation_messages")
    op.drop_index("ix_attachments_message", table_name="attachments")
    op.drop_index("ix_attachments_comment", table_name="attachments")
    op.drop_index("ix_attachments_case", table_name="attachments")
    op.drop_index("ix_attachments_tenant_id", table_name="attachments")
    op.drop_table("attachments")
