"""Reply templates: a user's ready texts for the customer conversation, private or shared.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-12 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reply_templates",
        sa.Column("id", _ID, nullable=False),
        sa.Column("owner_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_reply_templates_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_reply_templates_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_templates")),
    )
    op.create_index(
        op.f("ix_reply_templates_owner_id"), "reply_templates", ["owner_id"], unique=False
    )
    op.create_index(
        op.f("ix_reply_templates_tenant_id"), "reply_templates", ["tenant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_reply_templates_tenant_id"), table_name="reply_templates")
    op.drop_index(op.f("ix_reply_templates_owner_id"), table_name="reply_templates")
    op.drop_table("reply_templates")
