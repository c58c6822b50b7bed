"""Internal comments with mentions, the customer conversation, notifications and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Id, Json, TenantOwned, utcnow


class Comment(TenantOwned, Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(Id, ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Moved here from a merged case, with its id (domain/cases/merging.py): replayed to a
    # client resuming after an older id, never pushed live.
    merged_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class CommentMention(TenantOwned, Base):
    __tablename__ = "comment_mentions"

    comment_id: Mapped[int] = mapped_column(
        Id, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class ConversationMessage(TenantOwned, Base):
    __tablename__ = "conversation_messages"
    __table_args__ = (
        Index("ix_conversation_messages_case", "case_id", "id"),
        # The outbox sender finds the message a mail sends (and so its attachments).
        Index("ix_conversation_messages_outbox", "outbox_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(Id, ForeignKey("cases.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    direction: Mapped[str] = mapped_column(String(16))  # TO_CUSTOMER | FROM_CUSTOMER
    author_user_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="SET NULL")
    )
    author_contact_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("contacts.id", ondelete="SET NULL")
    )
    author_name: Mapped[str] = mapped_column(String(200))
    outbox_id: Mapped[int | None] = mapped_column(Id, ForeignKey("outbox.id", ondelete="SET NULL"))
    # An e-mail reply's From address, and whether it was not the case contact's at the time.
    sender_address: Mapped[str | None] = mapped_column(String(320))
    from_unknown_sender: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # As Comment.merged_in.
    merged_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Notification(TenantOwned, Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient", "recipient_id", "id"),
        Index("ix_notifications_unread", "recipient_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    actor_id: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id", ondelete="SET NULL"))
    case_id: Mapped[int | None] = mapped_column(Id, ForeignKey("cases.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("comments.id", ondelete="CASCADE")
    )
    message_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("conversation_messages.id", ondelete="CASCADE")
    )
    # Makes "exactly once" a constraint: e.g. "deadline/<case>/<deadline>/<phase>/<user>".
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class OutboxMessage(Base):
    """Mail or SMS to send; claimed by one instance at a time and retried with backoff."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_case", "case_id", "id"),
        Index("ix_outbox_webhook", "webhook_id", "id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Id, ForeignKey("tenants.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(8))  # EMAIL | SMS
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # An SMS sent on a case is listed on it (Case.smsMessages), with who sent it.
    case_id: Mapped[int | None] = mapped_column(Id, ForeignKey("cases.id", ondelete="SET NULL"))
    sent_by_id: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id", ondelete="SET NULL"))
    # A webhook delivery: the webhook it goes to, and the HTTP status its last attempt got.
    # No foreign key: an event that races deleteWebhook must not fail the write that caused
    # it; deleteWebhook deletes the webhook's deliveries, and the sender fails any it misses.
    webhook_id: Mapped[int | None] = mapped_column(Id)
    response_status: Mapped[int | None] = mapped_column(Integer)
