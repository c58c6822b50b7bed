"""The case-change feed's one writer: a commit that changed cases appends a row per case.

Not every writer of a case: session hooks note the cases each flush or bulk statement
touches (a column `Case` shows, its assignees, tasks or forms), read each one's
filter-relevant state before its first touch in the transaction (one statement per flush
or statement that touches new ones), and just before commit read the state after (one
statement), append one `case_changes` row per case and announce the tenant's feed. The
announcement is published once the transaction has committed (EventBus.publishing).

Within a tenant, ids follow commit order (db/streams.py): a live table view that resumes
after a change misses none and gets none twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, event, insert, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_session
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from db.library_internals import values_given
from db.models import (
    Case,
    CaseAssignedGroup,
    CaseAssignedUser,
    CaseChange,
    CaseTag,
    FormInstance,
    Task,
    utcnow,
)
from db.streams import Stream, serialize_appends_in_hook
from domain import channels, webhooks
from domain.announcements import announce
from domain.cases.snapshot import Snapshot, read_snapshots

_KEY = "case_feed"

# Rows of their own that `Case` shows.
SHOWN_ROWS: tuple[type[Any], ...] = (
    CaseAssignedUser,
    CaseAssignedGroup,
    CaseTag,
    Task,
    FormInstance,
)
_SHOWN_TABLES = {model.__tablename__: model for model in SHOWN_ROWS}
# Columns of a case that it does not show, or that comments and messages move: changing
# only these is no change of the case.
_UNSHOWN = frozenset({"updated_at", "search_text", "reply_token"})
_SHOWN_COLUMNS = tuple(
    c.key for c in Case.__mapper__.column_attrs if c.key not in _UNSHOWN and c.key != "id"
)


class CaseChangeKind(StrEnum):
    REGISTERED = "REGISTERED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


@dataclass
class _Touched:
    """The cases this transaction touched: case id -> (tenant id, state) before, or None
    where the case did not exist yet."""

    before: dict[int, tuple[int, Snapshot] | None] = field(default_factory=dict)


def _touched(session: Session) -> _Touched:
    touched: _Touched | None = session.info.get(_KEY)
    if touched is None:
        touched = session.info[_KEY] = _Touched()
    return touched


def _capture_ids(session: Session, ids: set[int], as_of: datetime | None = None) -> None:
    """Notes these cases, reading the state of those not noted yet (None: no such case)."""
    touched = _touched(session)
    fresh = ids - touched.before.keys()
    if not fresh:
        return
    found = read_snapshots(session, Case.id.in_(fresh), as_of)
    for case_id in fresh:
        touched.before[case_id] = found.get(case_id)


async def note_changing(
    session: AsyncSession, case_ids: Collection[int], as_of: datetime | None = None
) -> None:
    """For a writer whose statements the hooks cannot attribute to a case (an INSERT ...
    SELECT into another case, as a merge makes): these cases change in this transaction.
    Their state before is read as of `as_of` (now when None): the SLA sweep's breaches
    change a case by time alone, so their state before is that of just before."""
    ids = set(case_ids)
    await session.run_sync(lambda sync: _capture_ids(sync, ids, as_of))


def _capture_where(session: Session, which: ColumnElement[bool]) -> None:
    """Notes the cases matching `which` as they are now, unless noted already."""
    touched = _touched(session)
    for case_id, state in read_snapshots(session, which).items():
        touched.before.setdefault(case_id, state)


@event.listens_for(Session, "before_flush")
def _note_flush(session: Session, _context: Any, _instances: Any) -> None:
    ids: set[int] = set()
    for obj in session.new:
        if isinstance(obj, SHOWN_ROWS) and obj.case_id is not None:
            ids.add(obj.case_id)
    for obj in session.dirty:
        if isinstance(obj, Case) and _shown_change(obj):
            ids.add(obj.id)
        elif isinstance(obj, SHOWN_ROWS) and session.is_modified(obj):
            ids.add(obj.case_id)
    for obj in session.deleted:
        if isinstance(obj, Case):
            ids.add(obj.id)
        elif isinstance(obj, SHOWN_ROWS):
            ids.add(obj.case_id)
    if ids:
        _capture_ids(session, ids)


def _shown_change(case: Case) -> bool:
    attrs = Case.__mapper__.attrs
    state: Any = case.__dict__.get("_sa_instance_state")
    return state is not None and any(
        state.attrs[key].history.has_changes() for key in _SHOWN_COLUMNS if key in attrs
    )


@event.listens_for(Session, "after_flush")
def _note_registrations(session: Session, _context: Any) -> None:
    for obj in session.new:
        if isinstance(obj, Case):
            _touched(session).before.setdefault(obj.id, None)


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    """Bulk UPDATE and DELETE (and INSERT of shown rows) that bypass the unit of work."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table: Any = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    where: ColumnElement[bool] | None = getattr(state.statement, "whereclause", None)
    if name == Case.__tablename__:
        if state.is_insert:
            return  # registration goes through the unit of work (after_flush)
        if state.is_update and _columns_set(state) <= _UNSHOWN:
            return
        _capture_where(state.session, where if where is not None else true())
    elif name in _SHOWN_TABLES:
        if state.is_insert:
            _capture_ids(state.session, _inserted_case_ids(state))
            return
        model = _SHOWN_TABLES[name]
        rows = select(model.case_id)
        if where is not None:
            rows = rows.where(where)
        _capture_where(state.session, Case.id.in_(rows))


def _columns_set(state: ORMExecuteState) -> set[str]:
    """The columns an UPDATE sets, from its values or its parameters."""
    keys: list[Any] = [key for key, _value in values_given(state.statement)]
    parameters: Any = state.parameters
    for given in parameters if isinstance(parameters, list) else [parameters or {}]:
        keys += list(given)
    names = {key if isinstance(key, str) else str(getattr(key, "key", key)) for key in keys}
    return names or {"*"}


def _inserted_case_ids(state: ORMExecuteState) -> set[int]:
    parameters: Any = state.parameters
    given: list[Any] = parameters if isinstance(parameters, list) else [parameters or {}]
    ids = {int(row["case_id"]) for row in given if row.get("case_id") is not None}
    for key, value in values_given(state.statement):
        if getattr(key, "key", key) == "case_id" and getattr(value, "value", None) is not None:
            ids.add(int(value.value))
    return ids


@event.listens_for(Session, "before_commit")
def _append_changes(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.get(_KEY):
        return
    session.flush()  # what is still pending touches cases too
    touched: _Touched = session.info.pop(_KEY)
    if not touched.before:
        return
    after = read_snapshots(session, Case.id.in_(touched.before))
    at = utcnow()
    rows: list[dict[str, Any]] = []
    for case_id, before in sorted(touched.before.items()):
        now = after.get(case_id)
        if now is not None:
            tenant_id = now[0]
            kind = CaseChangeKind.UPDATED if before is not None else CaseChangeKind.REGISTERED
        elif before is not None:
            tenant_id, kind = before[0], CaseChangeKind.DELETED
        else:
            continue  # registered and deleted in one transaction
        rows.append(
            {
                "tenant_id": tenant_id,
                "case_id": case_id,
                "kind": kind.value,
                "at": at,
                "before": before[1] if before is not None else None,
                "after": now[1] if now is not None else None,
            }
        )
    if not rows:
        return
    webhooks.queue_case_events(
        session, [(row["tenant_id"], row["case_id"], row["kind"]) for row in rows]
    )
    tenants = sorted({row["tenant_id"] for row in rows})
    serialize_appends_in_hook(session, Stream.TENANT_CASE_CHANGES, tenants)
    appended = session.execute(
        insert(CaseChange).returning(CaseChange.id, CaseChange.tenant_id), rows
    ).all()
    newest: dict[int, int] = {}
    for change_id, tenant_id in appended:
        newest[tenant_id] = max(change_id, newest.get(tenant_id, 0))
    announced = async_session(session)
    if announced is None:
        return  # a synchronous session (migrations, scripts): nothing listens there
    for tenant_id, change_id in newest.items():
        announce(announced, channels.tenant_case_changes(tenant_id), id=change_id)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_KEY, None)
