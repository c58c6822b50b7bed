"""Claiming due outbox rows so that, however many instances run, each row has one sender.

A claim is a short transaction that marks rows SENDING with a lease (`next_attempt_at`
becomes the lease's end) and counts the attempt. On PostgreSQL the rows are locked with
`FOR UPDATE SKIP LOCKED`, so concurrent claimers take disjoint rows without waiting; on
SQLite every write transaction holds the database's single write lock (`BEGIN
IMMEDIATE`), so claims are serialised. A row whose lease ran out (its sender died) is
due again. The outcome is recorded only by the claim that still holds the row: the
attempt number is part of the condition, so a sender that outlived its lease changes
nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from db.engine import Database
from db.models import OutboxMessage, utcnow
from domain.outbox import OutboxStatus

_OPEN = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


async def claim_due(
    db: Database, channels: Collection[str], *, limit: int, lease: timedelta
) -> list[OutboxMessage]:
    if not channels:
        return []
    now = utcnow()
    statement = (
        select(OutboxMessage)
        .where(
            OutboxMessage.channel.in_(channels),
            OutboxMessage.status.in_(_OPEN),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if not db.is_sqlite:
        statement = statement.with_for_update(skip_locked=True)
    async with db.transaction(None) as session:
        rows = list((await session.scalars(statement)).all())
        for row in rows:
            row.status = OutboxStatus.SENDING.value
            row.attempts += 1
            row.next_attempt_at = now + lease
    return rows


async def _finish(db: Database, claimed: OutboxMessage, **values: object) -> bool:
    async with db.transaction(None) as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == claimed.id,
                OutboxMessage.status == OutboxStatus.SENDING.value,
                OutboxMessage.attempts == claimed.attempts,
            )
            .values(**values)
        )
    return bool(getattr(result, "rowcount", 0))


async def record_sent(
    db: Database, claimed: OutboxMessage, *, response_status: int | None = None
) -> bool:
    return await _finish(
        db,
        claimed,
        status=OutboxStatus.SENT.value,
        sent_at=utcnow(),
        last_error=None,
        response_status=response_status,
    )


async def record_failure(
    db: Database,
    claimed: OutboxMessage,
    error: str,
    *,
    retry_at: datetime | None,
    response_status: int | None = None,
) -> bool:
    """Back to PENDING until `retry_at`, or FAILED for good when there is none."""
    if retry_at is None:
        return await _finish(
            db,
            claimed,
            status=OutboxStatus.FAILED.value,
            last_error=error,
            response_status=response_status,
        )
    return await _finish(
        db,
        claimed,
        status=OutboxStatus.PENDING.value,
        next_attempt_at=retry_at,
        last_error=error,
        response_status=response_status,
    )


async def next_due(db: Database, channels: Collection[str]) -> datetime | None:
    """When the earliest open row is due (a retry, or a lease running out)."""
    if not channels:
        return None
    async with db.session(None) as session:
        due: datetime | None = await session.scalar(
            select(func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.channel.in_(channels), OutboxMessage.status.in_(_OPEN)
            )
        )
    return due


async def pending_since(
    db: Database, channels: Collection[str], after_id: int, *, limit: int
) -> list[OutboxMessage]:
    """Pending rows newer than `after_id`, oldest first: for logging what cannot be sent."""
    if not channels:
        return []
    async with db.session(None) as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.channel.in_(channels),
                OutboxMessage.status == OutboxStatus.PENDING.value,
                OutboxMessage.id > after_id,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        return list(rows.all())
