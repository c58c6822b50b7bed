"""Tenants and their case-module settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Id, Json, utcnow


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The last case number handed out; incremented under a row lock.
    last_case_number: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseModuleSettingsRow(Base):
    """One row per tenant: which registration fields are shown, required and defaulted."""

    __tablename__ = "case_module_settings"

    tenant_id: Mapped[int] = mapped_column(
        Id, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    # {"TITLE": {"visible": true, "required": true, "default": null}, ...}
    fields: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    tab_events: Mapped[bool] = mapped_column(Boolean, default=True)
    tab_customer_conversations: Mapped[bool] = mapped_column(Boolean, default=True)
    tab_tasks: Mapped[bool] = mapped_column(Boolean, default=True)
    tab_forms: Mapped[bool] = mapped_column(Boolean, default=True)
    sms_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_lead_minutes: Mapped[int] = mapped_column(Integer, default=60)
