"""Merging a case into another: what the source holds moves to the target, the source closes.

Everything keeps its id, so links to a comment, a message or a file keep working. Comments
and customer messages are streams (db/streams.py): moved onto the target they are marked
`merged_in`, so that a subscriber of the target resuming after an older id replays them
(in id order) while live subscribers are not sent them. The source's own subscribers are
told its streams ended; they complete (graph/live/hub.py).

Two merges touching the same case run one after the other: each takes the append locks of
both cases' streams and then both case rows, always in id order, and checks everything
again under them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Attachment,
    Case,
    CaseAssignedGroup,
    CaseAssignedUser,
    CaseStatus,
    CaseTag,
    Comment,
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


@dataclass
class Merge:
    source: Case
    target: Case


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
    """After commit: the source's comment and conversation streams take nothing more, so
    their subscribers complete. What moved is not announced on the target: it is replayed
    to those resuming after an older id, never pushed live."""
    tenant_id, source_id = merge.source.tenant_id, merge.source.id
    announce(session, channels.case_comments(tenant_id, source_id), ended=True)
    announce(session, channels.case_messages(tenant_id, source_id), ended=True)


# The notification column naming a row of each stream table.
_ABOUT: dict[Any, str] = {Comment: "comment_id", ConversationMessage: "message_id"}


async def _move_stream(session: AsyncSession, model: Any, merge: Merge) -> None:
    """The source's rows of a stream table onto the target, ids kept, marked as moved in;
    the notifications about them follow them to the target."""
    moved = select(model.id).where(model.case_id == merge.source.id)
    await session.execute(
        update(Notification)
        .where(getattr(Notification, _ABOUT[model]).in_(moved))
        .values(case_id=merge.target.id)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(model)
        .where(model.case_id == merge.source.id)
        .values(case_id=merge.target.id, merged_in=True)
        .execution_options(synchronize_session=False)
    )


async def _move_comments(session: AsyncSession, merge: Merge) -> None:
    await _move_stream(session, Comment, merge)


async def _move_messages(session: AsyncSession, merge: Merge) -> None:
    await _move_stream(session, ConversationMessage, merge)


async def _move_attachments(session: AsyncSession, merge: Merge) -> None:
    """Every file of the source, its comments' and messages' too; they keep their ids, so
    their links keep working."""
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
