"""The case-change feed: one row per case a commit changed, in commit order per tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Id, Json, TenantOwned, utcnow


class CaseChange(TenantOwned, Base):
    """What a live table view needs to tell whether a change concerns it.

    `before` and `after` hold the case's filter-relevant state (domain/cases/snapshot.py)
    around the commit; `before` is null for a registration, `after` for a deletion. The
    case id is no foreign key: the change of a deleted case outlives it.
    """

    __tablename__ = "case_changes"
    __table_args__ = (Index("ix_case_changes_tenant_id_id", "tenant_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    before: Mapped[dict[str, Any] | None] = mapped_column(Json)
    after: Mapped[dict[str, Any] | None] = mapped_column(Json)
