"""Merging a case into another: what the source holds moves to the target, the source closes.

Comments and customer messages are streams (db/streams.py): a subscriber of the target
resumes after the last id it saw. So they move as new rows on the target, numbered after
everything already there, in the order they were written (their authors and times kept),
and every reference to them follows. Tasks and assignees simply change case.

Two merges touching the same case run one after the other: each takes the append locks of
both cases' streams and then both case rows, always in id order, and checks everything
again under them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Column, Table, delete, func, insert, literal, select, update
from sqlalchemy import case as when
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attachment,
    Case,
    CaseAssignedGroup,
    CaseAssignedUser,
    CaseStatus,
    CaseTag,
    Comment,
    CommentMention,
    ConversationMessage,
    Notification,
    Task,
    utcnow,
)
from db.streams import Stream, serialize_appends
from domain import channels
from domain.announcements import announce
from domain.cases.change_feed import note_changing
from domain.cases.event_log import Action, Actor, Change, record
from domain.cases.saving import next_position
from domain.cases.search_text import refresh_search_text
from domain.errors import Problems, UserErrorCode
from domain.sla.case_targets import record_merge

# Rows moved per statement; each batch's references are remapped in one UPDATE.
_BATCH = 500


@dataclass
class Merge:
    source: Case
    target: Case
    # The target's stream ids the moved comments and messages got: (first, last), or None.
    comments: tuple[int, int] | None = None
    messages: tuple[int, int] | None = None


MergeStep = Callable[[AsyncSession, Merge], Awaitable[None]]


def refuse_merged(problems: Problems, case: Case | None, path: str) -> None:
    """A merged case takes nothing new: its work goes on in the case it was merged into."""
    if case is not None and case.merged_into_id is not None:
        problems.add(
            path,
            "The case was merged into another; work on that case instead.",
            UserErrorCode.NOT_ALLOWED,
        )


async def locked_cases(session: AsyncSession, ids: Sequence[int]) -> dict[int, Case]:
    """The cases of the viewer's tenant among `ids`, locked until commit, in id order (so
    that two writers locking overlapping pairs cannot deadlock)."""
    found = await session.scalars(
        select(Case).where(Case.id.in_(sorted(set(ids)))).order_by(Case.id).with_for_update()
    )
    return {c.id: c for c in found}


async def merge_cases(
    session: AsyncSession, actor: Actor, source_id: int | None, target_id: int | None
) -> Case:
    """Moves the source's comments, messages, attachments, tasks and assignees to the target
    and closes the source, pointing at the target. Returns the target."""
    ids = [i for i in (source_id, target_id) if i is not None]
    # Stream locks first, as every writer of a comment or message takes them before the row.
    await serialize_appends(session, Stream.CASE_COMMENTS, ids)
    await serialize_appends(session, Stream.CASE_MESSAGES, ids)
    cases = await locked_cases(session, ids)
    source = cases.get(source_id) if source_id is not None else None
    target = cases.get(target_id) if target_id is not None else None

    problems = Problems()
    if source is None:
        problems.not_found("sourceId", "The case")
    if target is None:
        problems.not_found("targetId", "The case")
    closing = await _closing_status(session)
    if source is not None and target is not None:
        if source.id == target.id:
            problems.invalid("targetId", "A case cannot be merged into itself.")
        else:
            refuse_merged(problems, source, "sourceId")
            refuse_merged(problems, target, "targetId")
            if source.customer_id != target.customer_id:
                problems.invalid("targetId", "The cases belong to different customers.")
        if closing is None:
            problems.add(
                "sourceId",
                "No active closed status to close the merged case with.",
                UserErrorCode.NOT_ALLOWED,
            )
    problems.raise_if_any()
    assert source is not None and target is not None and closing is not None

    merge = Merge(source, target)
    await note_changing(session, [source.id, target.id])
    for step in STEPS:
        await step(session, merge)

    now = utcnow()
    source.status_id = closing.id
    source.merged_into_id = target.id
    record_merge(source, target, now)
    source.updated_at = target.updated_at = now
    record(session, source.id, actor, Action.MERGED_INTO, [Change("mergedInto", None, _no(target))])
    record(session, target.id, actor, Action.MERGED_FROM, [Change("mergedFrom", None, _no(source))])
    await refresh_search_text(session, [source, target])
    _announce(session, merge)
    return target


def _no(case: Case) -> str:
    return str(case.number)


async def _closing_status(session: AsyncSession) -> CaseStatus | None:
    status: CaseStatus | None = await session.scalar(
        select(CaseStatus)
        .where(CaseStatus.active, CaseStatus.closed)
        .order_by(CaseStatus.order, CaseStatus.id)
        .limit(1)
    )
    return status


def _announce(session: AsyncSession, merge: Merge) -> None:
    """After commit: the source's comment and message subscribers are done (their case takes
    nothing new), and the target's learn which of its stream ids were moved in, not written."""
    tenant_id = merge.source.tenant_id
    announce(session, channels.case_merges(tenant_id, merge.source.id), mergedInto=merge.target.id)
    announce(
        session,
        channels.case_merges(tenant_id, merge.target.id),
        mergedFrom=merge.source.id,
        comments=merge.comments,
        messages=merge.messages,
    )


async def _new_ids(session: AsyncSession, table: Table, count: int) -> list[int]:
    """`count` ids for new rows of `table`, ascending, after every id handed out so far."""
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        ids = await session.scalars(
            select(func.nextval(sequence)).select_from(func.generate_series(1, count))
        )
        return sorted(int(i) for i in ids)
    # SQLite serialises writers, and hands out the highest rowid + 1 itself.
    highest = await session.scalar(select(func.max(table.c.id)))
    start = int(highest or 0) + 1
    return list(range(start, start + count))


async def _move_stream(
    session: AsyncSession,
    table: Table,
    merge: Merge,
    references: Sequence[tuple[Any, Column[Any]]],
) -> tuple[int, int] | None:
    """Moves the source's rows of a stream table to the end of the target's stream, oldest
    first, as new rows with new ids; `references` (model, column) are pointed at those."""
    rows = (
        (
            await session.execute(
                select(table)
                .where(table.c.case_id == merge.source.id)
                .order_by(table.c.created_at, table.c.id)
            )
        )
        .mappings()
        .all()
    )
    moved: list[int] = []
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        new_ids = await _new_ids(session, table, len(batch))
        renumbered: dict[int, int] = {
            row["id"]: new for row, new in zip(batch, new_ids, strict=True)
        }
        await session.execute(
            insert(table),
            [{**row, "id": renumbered[row["id"]], "case_id": merge.target.id} for row in batch],
        )
        for model, column in references:
            values: dict[str, Any] = {column.key: when(renumbered, value=column)}
            if model is Notification:
                # About a moved comment or message, so about the case that now holds it.
                values["case_id"] = merge.target.id
            await session.execute(
                update(model)
                .where(column.in_(list(renumbered)))
                .values(values)
                .execution_options(synchronize_session=False)
            )
        await session.execute(delete(table).where(table.c.id.in_(list(renumbered))))
        moved += new_ids
    return (moved[0], moved[-1]) if moved else None


async def _move_comments(session: AsyncSession, merge: Merge) -> None:
    merge.comments = await _move_stream(
        session,
        cast(Table, Comment.__table__),
        merge,
        [
            (CommentMention, cast(Column[Any], CommentMention.comment_id)),
            (Notification, cast(Column[Any], Notification.comment_id)),
            (Attachment, cast(Column[Any], Attachment.comment_id)),
        ],
    )


async def _move_messages(session: AsyncSession, merge: Merge) -> None:
    merge.messages = await _move_stream(
        session,
        cast(Table, ConversationMessage.__table__),
        merge,
        [
            (Notification, cast(Column[Any], Notification.message_id)),
            (Attachment, cast(Column[Any], Attachment.message_id)),
        ],
    )


async def _move_attachments(session: AsyncSession, merge: Merge) -> None:
    """Every file of the source, its comments' and messages' too (those already follow
    their moved comment or message); they keep their ids, so their links keep working."""
    await session.execute(
        update(Attachment)
        .where(Attachment.case_id == merge.source.id)
        .values(case_id=merge.target.id)
        .execution_options(synchronize_session=False)
    )


async def _move_tasks(session: AsyncSession, merge: Merge) -> None:
    """After the target's own, in their order; they keep their ids."""
    start = await next_position(session, merge.target.id)
    await session.execute(
        update(Task)
        .where(Task.case_id == merge.source.id)
        .values(case_id=merge.target.id, position=Task.position + start)
        .execution_options(synchronize_session=False)
    )


# (assignment table, what it assigns)
_ASSIGNEES: list[tuple[Any, Any]] = [
    (CaseAssignedUser, CaseAssignedUser.user_id),
    (CaseAssignedGroup, CaseAssignedGroup.group_id),
]


async def _move_assignees(session: AsyncSession, merge: Merge) -> None:
    """Users and groups the target lacks join it; each is on it once."""
    for model, column in _ASSIGNEES:
        on_target = select(column).where(model.case_id == merge.target.id)
        await session.execute(
            insert(model).from_select(
                ["tenant_id", "case_id", column.key],
                select(model.tenant_id, literal(merge.target.id), column).where(
                    model.case_id == merge.source.id, column.not_in(on_target)
                ),
            )
        )
        await session.execute(
            delete(model)
            .where(model.case_id == merge.source.id)
            .execution_options(synchronize_session=False)
        )


async def _move_tags(session: AsyncSession, merge: Merge) -> None:
    """Tags the target lacks follow its own, in the source's order; each is on it once."""
    last = await session.scalar(
        select(func.max(CaseTag.position)).where(CaseTag.case_id == merge.target.id)
    )
    start = 0 if last is None else last + 1
    on_target = select(CaseTag.tag_id).where(CaseTag.case_id == merge.target.id)
    await session.execute(
        insert(CaseTag).from_select(
            ["tenant_id", "case_id", "tag_id", "position"],
            select(
                CaseTag.tenant_id,
                literal(merge.target.id),
                CaseTag.tag_id,
                CaseTag.position + start,
            ).where(CaseTag.case_id == merge.source.id, CaseTag.tag_id.not_in(on_target)),
        )
    )
    await session.execute(
        delete(CaseTag)
        .where(CaseTag.case_id == merge.source.id)
        .execution_options(synchronize_session=False)
    )


# What a merge moves, one kind of thing per step, in this order (a new kind: a new step).
STEPS: tuple[MergeStep, ...] = (
    _move_comments,
    _move_messages,
    _move_attachments,
    _move_tasks,
    _move_tags,
    _move_assignees,
)
