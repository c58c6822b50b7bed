"""Outgoing webhooks: an admin's HTTP endpoint that receives the tenant's events, signed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Id, Json, TenantOwned, utcnow


class Webhook(TenantOwned, Base):
    """Its deliveries are outbox rows (`OutboxMessage.webhook_id`)."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    # Names of the events it subscribes to (domain.webhooks.WebhookEvent).
    events: Mapped[list[str]] = mapped_column(Json, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Kept as given: deliveries are signed with it (HMAC), so it must be readable.
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
