"""Tags on cases, and saved views of the case table.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _tenant(table: str) -> list[Any]:
    return [
        sa.Column("tenant_id", Id, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=f"fk_{table}_tenant_id_tenants", ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", Id, nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("name_key", sa.String(length=50), nullable=False),
        *_tenant("tags"),
        sa.PrimaryKeyConstraint("id", name="pk_tags"),
        sa.UniqueConstraint("tenant_id", "name_key", name="uq_tags_tenant_name_key"),
    )
    op.create_index("ix_tags_tenant_id", "tags", ["tenant_id"], unique=False)
    op.create_table(
        "case_tags",
        sa.Column("case_id", Id, nullable=False),
        sa.Column("tag_id", Id, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        *_tenant("case_tags"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_tags_case_id_cases", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name="fk_case_tags_tag_id_tags", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "tag_id", name="pk_case_tags"),
    )
    op.create_index("ix_case_tags_tenant_id", "case_tags", ["tenant_id"], unique=False)
    # The cases of a tag: the table view's tag filter, and the counts of `tags`.
    op.create_index("ix_case_tags_tag", "case_tags", ["tag_id", "case_id"], unique=False)
    op.create_table(
        "case_views",
        sa.Column("id", Id, nullable=False),
        sa.Column("owner_id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("filter", Json, nullable=True),
        sa.Column("search", sa.Text(), nullable=True),
        sa.Column("order_by", Json, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        *_tenant("case_views"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name="fk_case_views_owner_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_views"),
    )
    op.create_index("ix_case_views_owner_id", "case_views", ["owner_id"], unique=False)
    op.create_index("ix_case_views_tenant_id", "case_views", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_table("case_views")
    op.drop_table("case_tags")
    op.drop_table("tags")
