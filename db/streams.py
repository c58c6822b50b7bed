"""Append-only streams (a case's comments, a user's notifications): written in commit order,
read by id.

Writing. A live subscription resumes "after" the last id a client saw. That is only
gap-free if, within one stream, a row with a higher id never commits before one with a
lower id. So writers serialise per stream: on PostgreSQL with a transaction-scoped advisory
lock taken before the insert; SQLite already serialises every writer (BEGIN IMMEDIATE).

Reading. Each event names its row and the row before it in the same stream (`prev`). Since
ids follow commit order, when `prev` is the last row delivered the event's row is simply
next; otherwise something was missed (an event lost while Redis restarted, or events
arriving out of order) and the rows after the last delivered one are read again
(`TableStream.rows_after`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import IntEnum
from typing import Any, Generic, Protocol, TypeVar

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


def previous_id(
    table: Table, stream_column: str, replayed_only: str | None = None
) -> ColumnElement[int | None]:
    """For the RETURNING of an INSERT into `table`: the id of the row before the new one in
    its stream (`stream_column`: its case, its recipient), among the rows pushed live (not
    those the boolean column `replayed_only` marks). The INSERT runs after the stream's lock
    was taken, so it sees every row committed before; it saves a query of its own.
    """
    prior = table.alias("prior")

    def inserted(column: str) -> ColumnElement[int]:
        # The row being inserted (SQLAlchemy does not correlate a RETURNING subquery).
        return literal_column(f"{table.name}.{column}", BigInteger)

    statement = select(func.max(prior.c.id)).where(
        prior.c[stream_column] == inserted(stream_column), prior.c.id < inserted("id")
    )
    if replayed_only is not None:
        statement = statement.where(prior.c[replayed_only].is_(False))
    return statement.scalar_subquery()


def serialize_appends_in_hook(session: Session, stream: Stream, keys: Iterable[int]) -> None:
    """`serialize_appends` from inside the ORM's own hooks, on the synchronous session."""
    if session.get_bind().dialect.name != "postgresql":
        return
    wanted = sorted({(int(stream) << 48) | int(k) for k in keys})
    if wanted:
        session.execute(_LOCK_ALL, {"keys": wanted})


# Rows read per statement when a subscriber replays what it missed.
REPLAY_BATCH = 100


class StreamRow(Protocol):
    @property
    def id(self) -> int: ...


M = TypeVar("M", bound=StreamRow)


class TableStream(Generic[M]):
    """A stream read from one table: the rows of `model` that match `condition`, by id.

    `live`, where given, is what of those rows is pushed live; the others (moved in by a
    merge, with the ids they had) are only replayed to a client resuming after an older id.
    """

    def __init__(
        self,
        model: type[M],
        condition: ColumnElement[bool],
        live: ColumnElement[bool] | None = None,
    ) -> None:
        self._model: Any = model
        self._condition = condition
        self._live = condition if live is None else condition & live

    async def rows_after(
        self, session: AsyncSession, after: int | None, limit: int, *, live: bool = False
    ) -> list[M]:
        """The rows after `after`: every one when replaying, the live ones when `live`."""
        statement = select(self._model).where(self._live if live else self._condition)
        if after is not None:
            statement = statement.where(self._model.id > after)
        return list((await session.scalars(statement.order_by(self._model.id).limit(limit))).all())

    async def rows_by_id(self, session: AsyncSession, ids: Sequence[int]) -> list[M]:
        """The live rows among `ids` (an event's)."""
        statement = select(self._model).where(self._live, self._model.id.in_(ids))
        return list((await session.scalars(statement.order_by(self._model.id))).all())

    async def newest(self, session: AsyncSession) -> int | None:
        newest: int | None = await session.scalar(
            select(func.max(self._model.id)).where(self._condition)
        )
        return newest


def case_stream(model: Any, case_id: int) -> TableStream[Any]:
    """A case's comments or customer messages (`model`): rows a merge moved in (`merged_in`,
    domain/cases/merging.py) are replayed to a client resuming after an older id, never
    pushed live."""
    return TableStream(model, model.case_id == case_id, live=model.merged_in.is_(False))


def contiguous(events: Sequence[object], watermark: int | None) -> bool:
    """Whether these events follow on from `watermark` with nothing missing between."""
    last = watermark
    for event in events:
        if not isinstance(event, dict):
            return False  # a resync: the bus may have missed events
        event_id = int(event["id"])
        if last is not None and event_id <= last:
            continue  # already delivered (a replayed row's event arriving late)
        if event.get("prev") != last:
            return False
        last = event_id
    return True
