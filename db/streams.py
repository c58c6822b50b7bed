"""Append-only streams (a case's comments, a user's notifications) whose ids follow commit order.

A live subscription resumes "after" the last id a client saw. That is only gap-free if,
within one stream, a row with a higher id never commits before one with a lower id. So
writers serialise per stream: on PostgreSQL with a transaction-scoped advisory lock taken
before the insert; SQLite already serialises every writer (BEGIN IMMEDIATE).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Table,
    bindparam,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

_HELD = "advisory_locks"

# One round trip for every key. unnest yields the array in order and each row's lock is
# taken as the row is read, so the keys are locked in the order given (ascending). The
# function returns void, which is not null.
_KEY = func.unnest(bindparam("keys", type_=ARRAY(BigInteger))).column_valued("k")
_LOCK_ALL = select(func.count()).where(func.pg_advisory_xact_lock(_KEY).is_not(None))


class Stream(IntEnum):
    CASE_COMMENTS = 1
    CASE_MESSAGES = 2
    USER_NOTIFICATIONS = 3
    TENANT_CASE_CHANGES = 4


async def serialize_appends(session: AsyncSession, stream: Stream, keys: Iterable[int]) -> None:
    """Holds, until this transaction ends, the right to append to these streams.

    All keys in one statement; keys this transaction already holds cost nothing.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    held = _held(session)
    # Sorted, so two writers locking overlapping sets cannot deadlock.
    keys = sorted({(int(stream) << 48) | int(k) for k in keys} - held)
    if not keys:
        return
    await session.execute(_LOCK_ALL, {"keys": keys})
    held.update(keys)


def locked_for_append(
    session: AsyncSession, stream: Stream, keys: Iterable[int]
) -> ColumnElement[bool]:
    """`serialize_appends` as a condition of a statement the writer runs anyway (the UPDATE
    of the case, the INSERT of the comment): the locks cost no round trip of their own, and
    are taken before that statement locks or writes its row, as a separate statement would be.
    """
    if session.get_bind().dialect.name != "postgresql":
        return true()
    held = _held(session)
    wanted = sorted({(int(stream) << 48) | int(k) for k in keys} - held)
    held.update(wanted)
    if not wanted:
        return true()
    if len(wanted) == 1:
        return func.pg_advisory_xact_lock(wanted[0]).is_not(None)  # void: always true
    # Evaluated once, before any row: every key, in order.
    return _LOCK_ALL.params(keys=wanted).scalar_subquery() >= 0


def _held(session: AsyncSession) -> set[int]:
    """The keys locked in the session's current transaction (advisory xact locks end with it)."""
    transaction = session.sync_session.get_transaction()
    remembered: tuple[SessionTransaction | None, set[int]] | None = session.info.get(_HELD)
    if remembered is None or remembered[0] is not transaction:
        remembered = (transaction, set())
        session.info[_HELD] = remembered
    return remembered[1]


def previous_id(table: Table, stream_column: str) -> ColumnElement[int | None]:
    """For the RETURNING of an INSERT into `table`: the id of the row before the new one in
    its stream (`stream_column`: its case, its recipient). The INSERT runs after the stream's
    lock was taken, so it sees every row committed before; it saves a query of its own.
    """
    prior = table.alias("prior")

    def inserted(column: str) -> ColumnElement[int]:
        # The row being inserted (SQLAlchemy does not correlate a RETURNING subquery).
        return literal_column(f"{table.name}.{column}", BigInteger)

    return (
        select(func.max(prior.c.id))
        .where(prior.c[stream_column] == inserted(stream_column), prior.c.id < inserted("id"))
        .scalar_subquery()
    )


def serialize_appends_in_hook(session: Session, stream: Stream, keys: Iterable[int]) -> None:
    """`serialize_appends` from inside the ORM's own hooks, on the synchronous session."""
    if session.get_bind().dialect.name != "postgresql":
        return
    wanted = sorted({(int(stream) << 48) | int(k) for k in keys})
    if wanted:
        session.execute(_LOCK_ALL, {"keys": wanted})
