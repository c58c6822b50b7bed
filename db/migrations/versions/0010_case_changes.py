"""The case-change feed behind `caseChanged`: one row per case a commit changed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "case_changes",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", Id, nullable=False),
        sa.Column("case_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", Json, nullable=True),
        sa.Column("after", Json, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_case_changes_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_case_changes"),
    )
    # Replay: a tenant's changes after a position, in order.
    op.create_index("ix_case_changes_tenant_id_id", "case_changes", ["tenant_id", "id"])
    op.create_index("ix_case_changes_tenant_id", "case_changes", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_case_changes_tenant_id", table_name="case_changes")
    op.drop_index("ix_case_changes_tenant_id_id", table_name="case_changes")
    op.drop_table("case_changes")
