"""Service levels: business calendars, SLA policies, and the warnings and breaches sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Id, Json, TenantOwned, utcnow


class BusinessCalendar(TenantOwned, Base):
    __tablename__ = "business_calendars"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    # [{"weekday": "MONDAY", "start": "08:00", "end": "17:00"}], as saved.
    hours: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    # ["2026-12-27", ...]: ISO dates, sorted.
    holidays: Mapped[list[str]] = mapped_column(Json, default=list)
    use_swedish_public_holidays: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaPolicy(TenantOwned, Base):
    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The priorities and types it applies to, by primary key; empty: any.
    priority_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    type_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    first_response_minutes: Mapped[int | None] = mapped_column(Integer)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    calendar_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("business_calendars.id", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlaAlert(TenantOwned, Base):
    """A warning or breach that was sent: one per case, target, phase and due time, which
    the unique key makes hold however many instances send at once."""

    __tablename__ = "sla_alerts"
    __table_args__ = (
        UniqueConstraint("case_id", "target", "phase", "due_at", name="uq_sla_alerts_once"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(Id, ForeignKey("cases.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(16))  # domain/sla SlaTarget
    phase: Mapped[str] = mapped_column(String(16))  # WARNING | BREACHED
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
