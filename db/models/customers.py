"""Customers, their contacts, objects (properties, installations) and projects."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Id, TenantOwned, utcnow


class Archivable:
    """Something that can be retired: it keeps its cases and history but leaves every list."""

    archived_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class Customer(Archivable, TenantOwned, Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    org_number: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(500))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contact(Archivable, TenantOwned, Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        Id, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    # Set when portal access is enabled; unique system-wide so portal sign-in needs no tenant.
    portal_email: Mapped[str | None] = mapped_column(String(320), unique=True)
    portal_password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseObject(Archivable, TenantOwned, Base):
    __tablename__ = "objects"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    address: Mapped[str | None] = mapped_column(String(500))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Project(Archivable, TenantOwned, Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
