"""The one outbox: mail and SMS are written as rows in the transaction, and sent later."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import OutboxMessage


def queue_email(
    session: AsyncSession,
    *,
    tenant_id: int,
    recipient: str,
    subject: str,
    body: str,
    headers: Mapping[str, str] | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        tenant_id=tenant_id,
        channel="EMAIL",
        recipient=recipient,
        subject=subject,
        body=body,
        headers=dict(headers or {}),
        status="PENDING",
    )
    session.add(message)
    return message
