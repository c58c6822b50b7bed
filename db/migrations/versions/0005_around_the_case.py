"""Customers, contacts, objects and projects can be archived; cases find their project's name.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 09:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ARCHIVABLE = ("customers", "contacts", "objects", "projects")
# The cases of one contact, object or project: their lists, and renaming them.
CASE_LINKS = ("contact_id", "object_id", "project_id")


def upgrade() -> None:
    for table in ARCHIVABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True)))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for column in CASE_LINKS:
            batch_op.create_index(f"ix_cases_{column}", [column], unique=False)
    # Search now matches the project too. Appended rather than recomposed: search is a
    # substring match, and the case's next write puts it in its place.
    newline = "chr(10)" if op.get_bind().dialect.name == "postgresql" else "char(10)"
    op.execute(
        f"UPDATE cases SET search_text = search_text || {newline} || ("
        " SELECT lower(projects.name) FROM projects WHERE projects.id = cases.project_id)"
        " WHERE project_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for column in CASE_LINKS:
            batch_op.drop_index(f"ix_cases_{column}")
    for table in ARCHIVABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("archived_at")
