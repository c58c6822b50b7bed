"""Files attached to a case, on their own or to one of its comments or customer messages.

The bytes live in the file store (storage/); a row names them by `storage_key`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Id, TenantOwned, utcnow


class Attachment(TenantOwned, Base):
    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_case", "case_id", "id"),
        Index("ix_attachments_comment", "comment_id"),
        Index("ix_attachments_message", "message_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(Id, ForeignKey("cases.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("comments.id", ondelete="CASCADE")
    )
    message_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("conversation_messages.id", ondelete="CASCADE")
    )
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    uploaded_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
