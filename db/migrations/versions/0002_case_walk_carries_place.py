"""The newest-first case index carries the case's place; the lat/lng range index goes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 18:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A map window is read by walking the cases newest first and checking lat/lng inside the
    # index, so only the cases on the page are read from the table. The range index on
    # (tenant, lat, lng) read every case in the window (5,700 for Kiruna at a million cases)
    # and sorted them, and its estimates were too far off to leave the choice to the planner.
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_tenant_lat_lng")
        batch_op.drop_index("ix_cases_tenant_created")
        batch_op.create_index(
            "ix_cases_tenant_created", ["tenant_id", "created_at", "id", "lat", "lng"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_tenant_created")
        batch_op.create_index(
            "ix_cases_tenant_created", ["tenant_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_cases_tenant_lat_lng", ["tenant_id", "lat", "lng"], unique=False)
