"""A tenant's case tags and which cases carry them, in each case's order."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Id, TenantOwned

TAG_MAX_LENGTH = 50


class Tag(TenantOwned, Base):
    """One spelling per tenant and lower-cased name: every case shows the tag alike."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("tenant_id", "name_key", name="uq_tags_tenant_name_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_MAX_LENGTH))
    name_key: Mapped[str] = mapped_column(String(TAG_MAX_LENGTH))  # lower-cased name


class CaseTag(TenantOwned, Base):
    __tablename__ = "case_tags"
    # The cases of a tag: the table view's tag filter, and the counts of `tags`.
    __table_args__ = (Index("ix_case_tags_tag", "tag_id", "case_id"),)

    case_id: Mapped[int] = mapped_column(
        Id, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        Id, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
