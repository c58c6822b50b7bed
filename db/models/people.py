"""Staff users, groups and their memberships, and access tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Id, TenantOwned, utcnow


class User(TenantOwned, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "handle_key", name="uq_users_tenant_handle"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # Stored lower-cased: sign-in needs no tenant, so e-mails are unique system-wide.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    handle: Mapped[str] = mapped_column(String(64))
    handle_key: Mapped[str] = mapped_column(String(64))  # lower-cased handle
    phone: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16), default="MEMBER")
    password_hash: Mapped[str] = mapped_column(String(255))
    email_on_mention: Mapped[bool] = mapped_column(Boolean, default=True)
    email_on_assignment: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Group(TenantOwned, Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupMember(TenantOwned, Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        Id, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class AccessToken(Base):
    """A sign-in token, stored only as its SHA-256; either a staff user's or a contact's."""

    __tablename__ = "access_tokens"
    __table_args__ = (Index("ix_access_tokens_user", "user_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tenant_id: Mapped[int] = mapped_column(Id, ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
