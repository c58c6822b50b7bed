"""The dropdown options of the case module: types, priorities, statuses and templates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Id, Json, TenantOwned


class CaseType(TenantOwned, Base):
    __tablename__ = "case_types"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    color: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # [{"key", "label", "kind", "required", "options"}]: the type's own extra fields.
    fields: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)


class CasePriority(TenantOwned, Base):
    __tablename__ = "case_priorities"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    color: Mapped[str | None] = mapped_column(String(32))
    order: Mapped[int] = mapped_column("sort_order", Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CaseStatus(TenantOwned, Base):
    __tablename__ = "case_statuses"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    color: Mapped[str | None] = mapped_column(String(32))
    order: Mapped[int] = mapped_column("sort_order", Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


class TaskTemplate(TenantOwned, Base):
    __tablename__ = "task_templates"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tasks: Mapped[list[str]] = mapped_column(Json, default=list)


class FormTemplate(TenantOwned, Base):
    __tablename__ = "form_templates"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # [{"key", "label", "kind", "required", "options"}]
    questions: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
