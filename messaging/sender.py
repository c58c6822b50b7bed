"""The outbox sender: a background task that delivers due mail, SMS and webhook deliveries,
with retries.

It wakes when a transaction that queued something commits (the `outbox` channel on the
event bus), when a retry falls due, and at least every `outbox_poll_seconds`, so that a
lost wake-up only delays delivery. A channel without a transport (no SMTP or SMS URL
configured) keeps its rows in the outbox and logs each one once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.exc import SQLAlchemyError

from config.settings import Settings
from db.engine import Database
from db.models import OutboxMessage, utcnow
from domain.outbox import Channel
from messaging import claims
from messaging.mail_attachments import MailAttachments
from messaging.sms_provider import SmsProvider
from messaging.smtp import SmtpTransport
from messaging.transport import DeliveryFailed, PermanentFailure, Transport
from messaging.webhook_transport import GlobalIds, WebhookTransport
from storage.store import FileStore

log = logging.getLogger("workcloud.outbox")
# The sender's tasks, its deliveries' included.
TASK_NAME = "outbox-sender"


class WakeupListener(Protocol):
    async def get(self) -> object: ...


# Opens a subscription to the outbox wake-up channel of the event bus.
Wakeups = Callable[[], AbstractAsyncContextManager[WakeupListener]]


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float
    max_seconds: float
    max_attempts: int

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after `attempts` failed attempts; None once they are used up."""
        if attempts >= self.max_attempts:
            return None
        delay = min(self.base_seconds * 2 ** (attempts - 1), self.max_seconds)
        # A little jitter, so that instances recovering together do not retry in lockstep.
        return now + timedelta(seconds=delay * random.uniform(1.0, 1.2))


class OutboxSender:
    def __init__(
        self,
        db: Database,
        transports: Mapping[Channel, Transport],
        *,
        policy: RetryPolicy,
        lease: timedelta,
        poll_seconds: float,
        batch_size: int = 20,
    ) -> None:
        self.db = db
        self.transports = dict(transports)
        self.policy = policy
        self.lease = lease
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self._nudge = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._follower: asyncio.Task[None] | None = None
        self._logged_up_to = 0

    @classmethod
    def from_settings(
        cls, settings: Settings, db: Database, store: FileStore, *, global_id: GlobalIds
    ) -> OutboxSender:
        """`global_id` writes out the ids in webhook payloads (the API's, made at its edge)."""
        transports: dict[Channel, Transport] = {
            Channel.WEBHOOK: WebhookTransport(
                db,
                global_id=global_id,
                timeout=settings.webhook_timeout_seconds,
                allow_private=settings.webhook_allow_private_networks,
            )
        }
        if settings.smtp_url:
            transports[Channel.EMAIL] = SmtpTransport(
                settings.smtp_url,
                mail_from=settings.mail_from,
                reply_domain=settings.reply_domain,
                timeout=settings.smtp_timeout_seconds,
                attachments=MailAttachments(db, store),
            )
        if settings.sms_url:
            transports[Channel.SMS] = SmsProvider(
                settings.sms_url, sender=settings.sms_sender, timeout=settings.smtp_timeout_seconds
            )
        return cls(
            db,
            transports,
            policy=RetryPolicy(
                base_seconds=settings.outbox_retry_base_seconds,
                max_seconds=settings.outbox_retry_max_seconds,
                max_attempts=settings.outbox_max_attempts,
            ),
            lease=timedelta(seconds=settings.outbox_lease_seconds),
            poll_seconds=settings.outbox_poll_seconds,
        )

    @property
    def _sendable(self) -> list[str]:
        return [c.value for c in self.transports]

    @property
    def _kept(self) -> list[str]:
        return [c.value for c in Channel if c not in self.transports]

    def wake(self) -> None:
        self._nudge.set()

    async def deliver_due(self) -> int:
        """Claims and delivers until nothing is due; returns how many it attempted."""
        attempted = 0
        while not self._stopping:
            batch = await claims.claim_due(
                self.db, self._sendable, limit=self.batch_size, lease=self.lease
            )
            if not batch:
                break
            # All at once: a slow endpoint (a webhook's may take its whole timeout) holds up
            # this batch for that long, not every message queued behind it one by one.
            deliveries = [
                asyncio.create_task(self._deliver(message), name=TASK_NAME) for message in batch
            ]
            for outcome in await asyncio.gather(*deliveries, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    raise outcome
            attempted += len(batch)
        return attempted

    async def _deliver(self, message: OutboxMessage) -> None:
        transport = self.transports[Channel(message.channel)]
        try:
            answered = await transport.deliver(message)
        except PermanentFailure as error:
            log.warning("outbox %s to %s failed for good: %s", message.id, message.recipient, error)
            await claims.record_failure(
                self.db, message, str(error), retry_at=None, response_status=error.response_status
            )
        except Exception as error:
            retry_at = self.policy.retry_at(message.attempts, utcnow())
            log.warning(
                "outbox %s to %s failed (attempt %s, %s): %s",
                message.id,
                message.recipient,
                message.attempts,
                f"retry at {retry_at:%H:%M:%S}" if retry_at else "giving up",
                error,
            )
            answered = error.response_status if isinstance(error, DeliveryFailed) else None
            await claims.record_failure(
                self.db, message, str(error), retry_at=retry_at, response_status=answered
            )
        else:
            await claims.record_sent(self.db, message, response_status=answered)

    async def log_kept(self) -> None:
        kept = await claims.pending_since(self.db, self._kept, self._logged_up_to, limit=100)
        for message in kept:
            log.info(
                "no %s transport configured; outbox %s to %s stays in the outbox: %s",
                message.channel,
                message.id,
                message.recipient,
                message.subject or message.body[:80],
            )
            self._logged_up_to = message.id

    async def _pause(self) -> None:
        timeout = self.poll_seconds
        due = await claims.next_due(self.db, self._sendable)
        if due is not None:
            timeout = max(0.0, min(timeout, (due - utcnow()).total_seconds()))
        # asyncio.timeout, not wait_for: a pause makes no task of its own.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._nudge.wait()

    async def run(self) -> None:
        while not self._stopping:
            # Cleared before the pass: a wake-up during it makes the pause end at once.
            self._nudge.clear()
            try:
                await self.deliver_due()
                await self.log_kept()
                await self._pause()
            except (SQLAlchemyError, OSError) as error:
                # The database is away; what is due stays due until it is back.
                log.warning(
                    "outbox pass failed (%r); trying again in %ss", error, self.poll_seconds
                )
                await asyncio.sleep(self.poll_seconds)
            except Exception:
                log.exception("outbox pass failed; trying again in %ss", self.poll_seconds)
                await asyncio.sleep(self.poll_seconds)

    async def follow(self, wakeups: Wakeups) -> None:
        """Wakes on every event of the wake-up channel; resubscribes when it drops."""
        while not self._stopping:
            try:
                async with wakeups() as listener:
                    while True:
                        await listener.get()
                        self.wake()
            except Exception as error:
                log.warning("outbox wake-ups interrupted (%s); polling meanwhile", error)
            await asyncio.sleep(self.poll_seconds)

    def start(self, wakeups: Wakeups | None = None) -> None:
        self._task = asyncio.create_task(self.run(), name=TASK_NAME)
        if wakeups is not None:
            self._follower = asyncio.create_task(self.follow(wakeups), name="outbox-wakeups")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Lets a delivery in flight finish (within the grace), then closes the transports."""
        self._stopping = True
        self._nudge.set()
        if self._follower is not None:
            self._follower.cancel()
            await asyncio.gather(self._follower, return_exceptions=True)
        if self._task is not None:
            _done, pending = await asyncio.wait([self._task], timeout=grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for transport in self.transports.values():
            await transport.close()
