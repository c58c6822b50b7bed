"""Linked cases (one row per pair) and merged cases (the case each was merged into).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_links",
        sa.Column("case_id", Id, nullable=False),
        sa.Column("other_case_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("tenant_id", Id, nullable=False),
        sa.CheckConstraint("case_id < other_case_id", name=op.f("ck_case_links_ordered_pair")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_links_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["other_case_id"],
            ["cases.id"],
            name=op.f("fk_case_links_other_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_case_links_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "other_case_id", name=op.f("pk_case_links")),
    )
    op.create_index(op.f("ix_case_links_other_case_id"), "case_links", ["other_case_id"])
    op.create_index(op.f("ix_case_links_tenant_id"), "case_links", ["tenant_id"])
    # A plain ADD COLUMN, no batch: on SQLite a batch rebuilds the table, and dropping the old
    # one with foreign keys on would cascade into the rows that refer to it. SQLite cannot
    # add the constraint without that rebuild: there the column stays plain (a deleted
    # target leaves an id that names no case, read as no case).
    op.add_column("cases", sa.Column("merged_into_id", Id, nullable=True))
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key(
            "fk_cases_merged_into_id_cases",
            "cases",
            "cases",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_cases_merged_into_id_cases", "cases", type_="foreignkey")
    op.drop_column("cases", "merged_into_id")
    op.drop_index(op.f("ix_case_links_tenant_id"), table_name="case_links")
    op.drop_index(op.f("ix_case_links_other_case_id"), table_name="case_links")
    op.drop_table("case_links")
