"""The key global ids are enciphered with, and up to where ids carried primary keys in the clear.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:15:00.000000
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Every type whose global id was base64url("<TypeName>:<pk>") until now, and its table.
LEGACY_ID_TABLES = {
    "Tenant": "tenants",
    "User": "users",
    "Group": "groups",
    "Customer": "customers",
    "Contact": "contacts",
    "CaseObject": "objects",
    "Project": "projects",
    "Case": "cases",
    "PortalCase": "cases",
    "CaseEvent": "case_events",
    "Task": "tasks",
    "FormInstance": "form_instances",
    "CaseType": "case_types",
    "CasePriority": "case_priorities",
    "CaseStatus": "case_statuses",
    "TaskTemplate": "task_templates",
    "FormTemplate": "form_templates",
    "Comment": "comments",
    "Notification": "notifications",
    "ConversationMessage": "conversation_messages",
    "SmsMessage": "outbox",
}


def upgrade() -> None:
    key = op.create_table(
        "global_id_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column(
            "legacy_last_pks",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_global_id_key")),
    )
    connection = op.get_bind()
    last_pks = {}
    for type_name, table in LEGACY_ID_TABLES.items():
        last = connection.scalar(sa.select(sa.func.max(sa.table(table, sa.column("id")).c.id)))
        if last is not None:
            last_pks[type_name] = int(last)
    # Made here, once, so that every instance on this database shares it without configuration.
    op.bulk_insert(key, [{"id": 1, "secret": secrets.token_hex(32), "legacy_last_pks": last_pks}])


def downgrade() -> None:
    op.drop_table("global_id_key")
