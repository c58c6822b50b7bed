"""The outbox: mail is delivered over real SMTP once, retried while the server is down."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from db.engine import Database
from db.models import OutboxMessage, utcnow
from domain.outbox import Channel, queue_email
from messaging.sender import OutboxSender, RetryPolicy
from messaging.smtp import SmtpTransport
from tests.support.client import Api, Tenant, eventually, unique
from tests.support.mail_server import REFUSED_DOMAIN, USER


async def queue(api: Api, tenant: Tenant, to: str, *, attempts: int = 0, due_in: float = 0) -> int:
    async with api.db.transaction(tenant.pk) as session:
        row = await queue_email(
            session,
            to=to,
            subject="Ärende #7: Läckande element",
            body="Hej!\nVi kommer på torsdag.",
            headers={"Reply-To": "reply+abc123@inbound.workcloud.test"},
        )
        row.attempts = attempts
        row.next_attempt_at = utcnow() + timedelta(seconds=due_in)
    api.outbox_sender.wake()
    return row.id


async def outbox_row(api: Api, row_id: int) -> OutboxMessage:
    async with api.db.session(None) as session:
        row = await session.get(OutboxMessage, row_id)
        assert row is not None
        return row


async def status_of(api: Api, row_id: int, status: str) -> OutboxMessage | None:
    row = await outbox_row(api, row_id)
    return row if row.status == status else None


async def test_queued_mail_is_delivered_over_smtp(api: Api) -> None:
    tenant = await api.new_tenant()
    to = f"{unique('kund')}@kund.example.se"
    row_id = await queue(api, tenant, to)

    [mail] = await api.mail.wait_for(to)
    assert mail.envelope_to == [to]
    assert mail.envelope_from == "arenden@kvarnen.test"
    assert mail.authenticated_as == USER
    assert mail.message["Subject"] == "Ärende #7: Läckande element"
    assert mail.message["Reply-To"] == "reply+abc123@inbound.workcloud.test"
    assert mail.message["Message-ID"]
    assert mail.text.strip() == "Hej!\nVi kommer på torsdag."
    sent = await eventually(lambda: status_of(api, row_id, "SENT"), what="SENT")
    assert sent.attempts == 1
    assert sent.sent_at is not None


async def test_mail_is_retried_until_the_server_is_back_and_sent_once(api: Api) -> None:
    tenant = await api.new_tenant()
    to = f"{unique('kund')}@kund.example.se"
    await api.mail.stop()
    try:
        row_id = await queue(api, tenant, to)

        async def failed_twice() -> OutboxMessage | None:
            row = await outbox_row(api, row_id)
            return row if row.attempts >= 2 and row.status == "PENDING" else None

        waiting = await eventually(failed_twice, what="two failed attempts")
        assert waiting.last_error
        assert waiting.next_attempt_at > utcnow() - timedelta(seconds=1)
    finally:
        await api.mail.start()

    sent = await eventually(lambda: status_of(api, row_id, "SENT"), what="SENT")
    assert sent.attempts >= 3
    assert sent.last_error is None
    # Another whole pass of the sender finds nothing more to send.
    await api.outbox_sender.deliver_due()
    assert len(api.mail.to(to)) == 1


async def test_refused_recipient_fails_for_good(api: Api) -> None:
    tenant = await api.new_tenant()
    row_id = await queue(api, tenant, f"{unique('borta')}@{REFUSED_DOMAIN}")
    failed = await eventually(lambda: status_of(api, row_id, "FAILED"), what="FAILED")
    assert failed.attempts == 1
    assert "550" in (failed.last_error or "")


async def test_gives_up_after_the_last_attempt(api: Api) -> None:
    tenant = await api.new_tenant()
    to = f"{unique('kund')}@kund.example.se"
    await api.mail.stop()
    try:
        row_id = await queue(api, tenant, to, attempts=api.settings.outbox_max_attempts - 1)
        failed = await eventually(lambda: status_of(api, row_id, "FAILED"), what="FAILED")
    finally:
        await api.mail.start()
    assert failed.attempts == api.settings.outbox_max_attempts
    # A whole pass of the sender, with the mail server back, leaves it be.
    await api.outbox_sender.deliver_due()
    assert api.mail.to(to) == []


async def test_concurrent_senders_deliver_each_message_once(api: Api) -> None:
    """Two more instances' senders race the app's own for the same rows."""
    tenant = await api.new_tenant()
    recipients = [f"{unique('mass')}@kund.example.se" for _ in range(40)]
    async with api.db.transaction(tenant.pk) as session:
        for to in recipients:
            await queue_email(session, to=to, subject="Driftstörning", body="Vattnet är avstängt.")

    def instance() -> tuple[Database, OutboxSender]:
        db = Database(api.db.url)
        transport = SmtpTransport(
            api.settings.smtp_url or "", mail_from="a@b.test", reply_domain="b.test", timeout=10
        )
        sender = OutboxSender(
            db,
            {Channel.EMAIL: transport},
            policy=RetryPolicy(base_seconds=0.25, max_seconds=1, max_attempts=4),
            lease=timedelta(minutes=5),
            poll_seconds=1,
            batch_size=5,
        )
        return db, sender

    (db_a, sender_a), (db_b, sender_b) = instance(), instance()
    try:
        counts = await asyncio.gather(sender_a.deliver_due(), sender_b.deliver_due())
    finally:
        await db_a.dispose()
        await db_b.dispose()

    # Each sent, and claimed once (a claim counts an attempt): no sender has one still to send.
    async def all_sent_once() -> bool:
        async with api.db.session(None) as session:
            rows = (
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.recipient.in_(recipients))
                )
            ).all()
        return len(rows) == len(recipients) and all(
            (row.status, row.attempts) == ("SENT", 1) for row in rows
        )

    await eventually(all_sent_once, what="every message sent after one claim")
    assert all(len(api.mail.to(to)) == 1 for to in recipients)
    assert counts[0] > 0
    assert counts[1] > 0


async def test_without_a_transport_mail_stays_in_the_outbox_and_is_logged(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await api.new_tenant()
    to = f"{unique('ingen')}@kund.example.se"
    # Due in an hour, so that the app's own sender leaves it alone meanwhile.
    row_id = await queue(api, tenant, to, due_in=3600)
    unconfigured = OutboxSender(
        api.db,
        {},
        policy=RetryPolicy(base_seconds=1, max_seconds=1, max_attempts=1),
        lease=timedelta(minutes=5),
        poll_seconds=1,
    )
    with caplog.at_level(logging.INFO, logger="workcloud.outbox"):
        assert await unconfigured.deliver_due() == 0
        await unconfigured.log_kept()
    assert any(to in record.getMessage() for record in caplog.records)
    assert (await outbox_row(api, row_id)).status == "PENDING"
