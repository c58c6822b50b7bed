"""Saved views of the case table: a named scope, filter, search and order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Id, Json, TenantOwned, utcnow


class CaseView(TenantOwned, Base):
    __tablename__ = "case_views"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        Id, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    scope: Mapped[str] = mapped_column(String(16))
    # The filter as saved, by primary key (domain/cases/views.py); null: none saved.
    filter: Mapped[dict[str, Any] | None] = mapped_column(Json)
    search: Mapped[str | None] = mapped_column(Text)
    # [{"field", "direction"}]
    order_by: Mapped[list[dict[str, str]]] = mapped_column(Json, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
