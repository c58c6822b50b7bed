"""Cases, their assignees, tasks, forms and event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Id, Json, TenantOwned, utcnow


class Case(TenantOwned, Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_cases_tenant_number"),
        # Newest first, with the place checked inside the index: the table view, search's
        # ordered walk, and the map window, which reads only the cases on its page.
        Index("ix_cases_tenant_created", "tenant_id", "created_at", "id", "lat", "lng"),
        Index("ix_cases_tenant_deadline", "tenant_id", "deadline"),
        # The SLA sweep: cases whose warning time has come.
        Index("ix_cases_sla_first_response_warn_at", "sla_first_response_warn_at"),
        Index("ix_cases_sla_resolution_warn_at", "sla_resolution_warn_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    # Indexed for the cases of a contact, object or project, and for renaming them.
    contact_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    object_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("objects.id", ondelete="SET NULL"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    responsible_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    deadline: Mapped[datetime | None]
    type_id: Mapped[int | None] = mapped_column(Id, ForeignKey("case_types.id"))
    priority_id: Mapped[int | None] = mapped_column(Id, ForeignKey("case_priorities.id"))
    status_id: Mapped[int] = mapped_column(Id, ForeignKey("case_statuses.id"))
    visible_in_portal: Mapped[bool] = mapped_column(Boolean, default=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    # Where the location came from (domain/cases/location.py): OBJECT or CUSTOMER follow a
    # change of customer; INPUT (sent, or the settings' default) stays. Null: from before
    # this was kept.
    location_source: Mapped[str | None] = mapped_column(String(16))
    color: Mapped[str | None] = mapped_column(String(32))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # Lower-cased text of every table-view column, kept current by the domain on write;
    # trigram-indexed on PostgreSQL.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Unguessable token in the reply address of conversation e-mail.
    reply_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL")
    )
    # Set when the case was merged into another (domain/cases/merging.py); it is then closed
    # and takes nothing new.
    merged_into_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("cases.id", ondelete="SET NULL")
    )
    # Its service level (domain/sla/): the policy it took, when each target is due and when
    # its warning is, when it was met, and the business time spent closed before a reopening.
    sla_policy_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("sla_policies.id", ondelete="SET NULL"), index=True
    )
    sla_first_response_due_at: Mapped[datetime | None]
    sla_first_response_warn_at: Mapped[datetime | None]
    sla_resolution_due_at: Mapped[datetime | None]
    sla_resolution_warn_at: Mapped[datetime | None]
    sla_first_responded_at: Mapped[datetime | None]
    sla_resolved_at: Mapped[datetime | None]
    sla_paused_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CaseAssignedUser(TenantOwned, Base):
    __tablename__ = "case_assigned_users"

    case_id: Mapped[int] = mapped_column(
        Id, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CaseAssignedGroup(TenantOwned, Base):
    __tablename__ = "case_assigned_groups"

    case_id: Mapped[int] = mapped_column(
        Id, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        Id, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Task(TenantOwned, Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(Id, ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee_id: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, default=0)


class FormInstance(TenantOwned, Base):
    __tablename__ = "form_instances"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(Id, ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("form_templates.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(200))
    # A copy of the template's questions, so later template edits leave filled forms intact.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    answers: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class CaseEvent(TenantOwned, Base):
    """One entry of a case's event log: who did what, when, and which fields changed."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(Id, ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_contact_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("contacts.id", ondelete="SET NULL")
    )
    actor_name: Mapped[str] = mapped_column(String(200))
    # [{"field", "from", "to"}], values as human-readable text
    changes: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)


class CaseLink(TenantOwned, Base):
    """Two related cases, one row per pair: the lower id first, `kind` as that case sees it."""

    __tablename__ = "case_links"
    __table_args__ = (CheckConstraint("case_id < other_case_id", name="ordered_pair"),)

    case_id: Mapped[int] = mapped_column(
        Id, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    other_case_id: Mapped[int] = mapped_column(
        Id, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # domain/cases/links.py LinkKind
