"""Who gets notified, the notification rows, and reading them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CaseAssignedGroup, CaseAssignedUser, GroupMember, Notification, utcnow
from db.streams import Stream, previous_id, serialize_appends
from domain import channels
from domain.announcements import announce
from domain.errors import Problems

_NOTIFICATIONS = cast(Table, Notification.__table__)
_PREVIOUS = previous_id(_NOTIFICATIONS, "recipient_id")
Upsert = postgresql.Insert | sqlite.Insert


class NotificationKind(StrEnum):
    MENTION = "MENTION"
    ASSIGNED = "ASSIGNED"
    DEADLINE_REMINDER = "DEADLINE_REMINDER"
    CUSTOMER_MESSAGE = "CUSTOMER_MESSAGE"
    SLA_WARNING = "SLA_WARNING"
    SLA_BREACHED = "SLA_BREACHED"


async def notify(
    session: AsyncSession,
    *,
    tenant_id: int,
    kind: NotificationKind,
    recipient_ids: Iterable[int],
    actor_id: int | None = None,
    case_id: int | None = None,
    comment_id: int | None = None,
    message_id: int | None = None,
    dedupe_keys: Mapping[int, str] | None = None,
) -> list[int]:
    """One notification per recipient, announced on each recipient's channel after commit.

    With `dedupe_keys`, a recipient whose key already exists gets nothing.
    """
    recipients = sorted(set(recipient_ids))
    if not recipients:
        return []
    await serialize_appends(session, Stream.USER_NOTIFICATIONS, recipients)
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "tenant_id": tenant_id,
            "recipient_id": r,
            "kind": kind.value,
            "created_at": now,
            "actor_id": actor_id,
            "case_id": case_id,
            "comment_id": comment_id,
            "message_id": message_id,
            "dedupe_key": (dedupe_keys or {}).get(r),
        }
        for r in recipients
    ]
    return await insert_notifications(session, upsert(session).values(rows))


def upsert(session: AsyncSession) -> Upsert:
    """An INSERT of notifications with the dialect's ON CONFLICT, written without the ORM."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_NOTIFICATIONS)


async def insert_notifications(session: AsyncSession, insert: Upsert) -> list[int]:
    """Runs an INSERT of notifications (VALUES or SELECT) and announces every row it created.

    The caller holds the recipients' streams (db/streams.py). A row whose `dedupe_key`
    exists already is skipped: that is how "exactly once" holds for reminders even with
    several instances racing.
    """
    columns = _NOTIFICATIONS.c
    statement = insert.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(
        columns.id,
        columns.tenant_id,
        columns.recipient_id,
        _PREVIOUS,
    )
    created = sorted((await session.execute(statement)).all())
    latest: dict[int, int | None] = {}
    for notification_id, tenant_id, recipient_id, before in created:
        # Several new rows for one recipient: each follows the one created just before it.
        prev = latest.get(recipient_id, before)
        announce(
            session,
            channels.user_notifications(tenant_id, recipient_id),
            id=notification_id,
            prev=prev,
        )
        latest[recipient_id] = notification_id
    return [row[0] for row in created]


async def assignees_of(session: AsyncSession, case_id: int) -> set[int]:
    """Users assigned to the case directly or through an assigned group."""
    direct = select(CaseAssignedUser.user_id).where(CaseAssignedUser.case_id == case_id)
    through_groups = (
        select(GroupMember.user_id)
        .join(CaseAssignedGroup, CaseAssignedGroup.group_id == GroupMember.group_id)
        .where(CaseAssignedGroup.case_id == case_id)
    )
    rows = await session.scalars(direct.union(through_groups))
    return set(rows.all())


async def notify_assigned(
    session: AsyncSession,
    *,
    tenant_id: int,
    case_id: int,
    before: Collection[int],
    actor_id: int | None,
) -> set[int]:
    """ASSIGNED to each user newly assigned (directly or by group), except whoever did it;
    returns who got one."""
    now_assigned = await assignees_of(session, case_id)
    newly = now_assigned - set(before) - ({actor_id} if actor_id is not None else set())
    await notify(
        session,
        tenant_id=tenant_id,
        kind=NotificationKind.ASSIGNED,
        recipient_ids=newly,
        actor_id=actor_id,
        case_id=case_id,
    )
    return newly


async def unread_count(session: AsyncSession, user_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def mark_read(
    session: AsyncSession, user_id: int, ids: Collection[int] | None, *, at: datetime | None = None
) -> int:
    """Marks the user's own notifications read (all of them when `ids` is None).

    An id that is not one of the user's own notifications (another user's, another
    tenant's, not a notification) is NOT_FOUND on `ids`, and then none is marked.
    """
    if ids is not None:
        wanted = set(ids)
        own = await session.scalars(
            select(Notification.id).where(
                Notification.recipient_id == user_id, Notification.id.in_(wanted)
            )
        )
        if set(own) != wanted:
            problems = Problems()
            problems.not_found("ids", "A notification")
            problems.raise_if_any()
    statement = update(Notification).where(
        Notification.recipient_id == user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    result = await session.execute(statement.values(read_at=at or utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
