"""Append-only streams (a case's comments, a user's notifications) whose ids follow commit order.

A live subscription resumes "after" the last id a client saw. That is only gap-free if,
within one stream, a row with a higher id never commits before one with a lower id. So
writers serialise per stream: on PostgreSQL with a transaction-scoped advisory lock taken
before the insert; SQLite already serialises every writer (BEGIN IMMEDIATE).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession


class Stream(IntEnum):
    CASE_COMMENTS = 1
    CASE_MESSAGES = 2
    USER_NOTIFICATIONS = 3


async def serialize_appends(session: AsyncSession, stream: Stream, keys: Iterable[int]) -> None:
    """Holds, until this transaction ends, the right to append to these streams."""
    if session.get_bind().dialect.name != "postgresql":
        return
    # Sorted, so two writers locking overlapping sets cannot deadlock.
    for key in sorted(set(keys)):
        await session.execute(select(func.pg_advisory_xact_lock((int(stream) << 48) | key)))
