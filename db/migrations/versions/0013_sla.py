"""Service levels: business calendars, SLA policies, each case's due times, alerts sent.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-14 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Moment = sa.DateTime(timezone=True)

_CASE_MOMENTS = (
    "sla_first_response_due_at",
    "sla_first_response_warn_at",
    "sla_resolution_due_at",
    "sla_resolution_warn_at",
    "sla_first_responded_at",
    "sla_resolved_at",
)


def _tenant(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "business_calendars",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("hours", Json, nullable=False),
        sa.Column("holidays", Json, nullable=False),
        sa.Column("use_swedish_public_holidays", sa.Boolean(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        _tenant("business_calendars"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_calendars")),
    )
    op.create_index(op.f("ix_business_calendars_tenant_id"), "business_calendars", ["tenant_id"])
    op.create_table(
        "sla_policies",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("priority_ids", Json, nullable=False),
        sa.Column("type_ids", Json, nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=True),
        sa.Column("calendar_id", Id, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        _tenant("sla_policies"),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["business_calendars.id"],
            name=op.f("fk_sla_policies_calendar_id_business_calendars"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
    )
    op.create_index(op.f("ix_sla_policies_tenant_id"), "sla_policies", ["tenant_id"])
    op.create_index(op.f("ix_sla_policies_calendar_id"), "sla_policies", ["calendar_id"])
    op.create_table(
        "sla_alerts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", Id, nullable=False),
        sa.Column("case_id", Id, nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("due_at", Moment, nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        _tenant("sla_alerts"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_sla_alerts_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_alerts")),
        sa.UniqueConstraint("case_id", "target", "phase", "due_at", name="uq_sla_alerts_once"),
    )
    op.create_index(op.f("ix_sla_alerts_tenant_id"), "sla_alerts", ["tenant_id"])
    # Plain ADD COLUMNs, no batch (see 0008): on SQLite the policy's id stays a plain column.
    op.add_column("cases", sa.Column("sla_policy_id", Id, nullable=True))
    for name in _CASE_MOMENTS:
        op.add_column("cases", sa.Column(name, Moment, nullable=True))
    op.add_column(
        "cases",
        sa.Column("sla_paused_seconds", sa.Integer(), nullable=False, server_default="0"),
    )
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key(
            "fk_cases_sla_policy_id_sla_policies",
            "cases",
            "sla_policies",
            ["sla_policy_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_index(op.f("ix_cases_sla_policy_id"), "cases", ["sla_policy_id"])
    op.create_index("ix_cases_sla_first_response_warn_at", "cases", ["sla_first_response_warn_at"])
    op.create_index("ix_cases_sla_resolution_warn_at", "cases", ["sla_resolution_warn_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_sla_resolution_warn_at", table_name="cases")
    op.drop_index("ix_cases_sla_first_response_warn_at", table_name="cases")
    op.drop_index(op.f("ix_cases_sla_policy_id"), table_name="cases")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_cases_sla_policy_id_sla_policies", "cases", type_="foreignkey")
    op.drop_column("cases", "sla_paused_seconds")
    for name in reversed(_CASE_MOMENTS):
        op.drop_column("cases", name)
    op.drop_column("cases", "sla_policy_id")
    op.drop_index(op.f("ix_sla_alerts_tenant_id"), table_name="sla_alerts")
    op.drop_table("sla_alerts")
    op.drop_index(op.f("ix_sla_policies_calendar_id"), table_name="sla_policies")
    op.drop_index(op.f("ix_sla_policies_tenant_id"), table_name="sla_policies")
    op.drop_table("sla_policies")
    op.drop_index(op.f("ix_business_calendars_tenant_id"), table_name="business_calendars")
    op.drop_table("business_calendars")
