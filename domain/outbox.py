"""The outbox: mail, SMS and webhook deliveries are rows first, written in the transaction
that causes them (webhook deliveries: domain/webhooks.py).

The sender (`messaging.sender`) delivers them after commit, so a rolled-back write never
sends anything, and a message is never lost between the write and the delivery.

    PENDING --claim--> SENDING --accepted--> SENT
       ^                  |
       +---- retry -------+--- refused, or out of attempts ---> FAILED
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.fitting import fitted
from db.models import OutboxMessage
from db.tenancy import session_tenant
from domain import channels
from domain.announcements import announce

_OUTBOX = cast(Table, OutboxMessage.__table__)

# Names the case whose reply address the mail carries; the SMTP transport turns it into
# Reply-To (and threading headers) with the configured inbound domain.
REPLY_TOKEN_HEADER = "X-WorkCloud-Reply-Token"


class Channel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    WEBHOOK = "WEBHOOK"


class OutboxStatus(StrEnum):
    PENDING = "PENDING"  # waiting for its first attempt, or for the next retry
    SENDING = "SENDING"  # claimed by one sender until its lease runs out
    SENT = "SENT"  # accepted by the mail server, the SMS provider or the webhook's endpoint
    FAILED = "FAILED"  # refused for good, or every attempt failed


class DeliveryStatus(StrEnum):
    """What a person sees of a message's delivery."""

    PENDING = "PENDING"  # not yet handed over (queued, being sent, or waiting for a retry)
    SENT = "SENT"  # handed over to the mail server / SMS provider
    FAILED = "FAILED"  # could not be delivered; it will not be tried again
    RECEIVED = "RECEIVED"  # a message from the customer: it reached us, nothing to send


def delivery_status(outbox_status: str | None) -> DeliveryStatus:
    if outbox_status == OutboxStatus.SENT:
        return DeliveryStatus.SENT
    if outbox_status == OutboxStatus.FAILED:
        return DeliveryStatus.FAILED
    return DeliveryStatus.PENDING


def _tenant(session: AsyncSession) -> int:
    tenant_id = session_tenant(session.sync_session)
    if tenant_id is None:
        raise RuntimeError("the outbox is written through a tenant's session")
    return tenant_id


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)


async def _queue(session: AsyncSession, row: OutboxMessage) -> OutboxMessage:
    session.add(row)
    await session.flush()
    _wake_senders(session, row.id)
    return row


def _wake_senders(session: AsyncSession, row_id: int | None = None) -> None:
    # Once the transaction has committed; the senders also poll, so nothing depends on
    # this arriving.
    announce(session, channels.outbox(), id=row_id)


async def queue_emails(session: AsyncSession, emails: Sequence[Email]) -> None:
    """Several e-mails in one statement, with one wake-up for the senders."""
    if not emails:
        return
    tenant_id = _tenant(session)
    await session.execute(
        insert(_OUTBOX).values(
            [
                {
                    "tenant_id": tenant_id,
                    "channel": Channel.EMAIL.value,
                    "recipient": e.to,
                    "subject": fitted(OutboxMessage.subject, e.subject),
                    "body": e.body,
                    "headers": e.headers,
                    "status": OutboxStatus.PENDING.value,
                }
                for e in emails
            ]
        )
    )
    _wake_senders(session)


async def queue_email(
    session: AsyncSession,
    *,
    to: str,
    subject: str,
    body: str,
    headers: dict[str, str] | None = None,
    reply_token: str | None = None,
) -> OutboxMessage:
    """An e-mail to send; `headers` are added as they are. With the reply token of a case,
    replies to it come back into that case's conversation (POST /inbound/email).
    """
    extra = dict(headers or {})
    if reply_token is not None:
        extra[REPLY_TOKEN_HEADER] = reply_token
    row = OutboxMessage(
        tenant_id=_tenant(session),
        channel=Channel.EMAIL.value,
        recipient=to,
        subject=fitted(OutboxMessage.subject, subject),
        body=body,
        headers=extra,
        status=OutboxStatus.PENDING.value,
    )
    return await _queue(session, row)


async def queue_sms(
    session: AsyncSession,
    *,
    to: str,
    body: str,
    recipient_name: str,
    case_id: int | None = None,
    sent_by_id: int | None = None,
) -> OutboxMessage:
    """An SMS to an E.164 number; the name is kept to show who it went to, and the case it
    was sent on (if any) lists it."""
    row = OutboxMessage(
        tenant_id=_tenant(session),
        channel=Channel.SMS.value,
        recipient=to,
        body=body,
        headers={"recipient_name": recipient_name},
        status=OutboxStatus.PENDING.value,
        case_id=case_id,
        sent_by_id=sent_by_id,
    )
    return await _queue(session, row)
