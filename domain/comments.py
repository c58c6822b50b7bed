"""Internal comments on a case, and what a comment sets off: mentions, notifications, mail."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Comment, CommentMention, User, utcnow
from db.streams import Stream, serialize_appends
from domain import channels, validation
from domain.announcements import announce
from domain.case_access import visible_case
from domain.errors import Problems
from domain.mentions import mentioned_users
from domain.notifications import NotificationKind, notify
from domain.outbox import queue_email
from domain.viewer import Viewer

MAX_BODY = 20_000


async def add_comment(
    session: AsyncSession, viewer: Viewer, case_id: int | None, body: str
) -> Comment:
    problems = Problems()
    author_id = viewer.staff_user_id
    case = await visible_case(session, viewer, case_id)
    if case is None:
        problems.not_found("caseId", "The case")
    text = validation.text(
        problems, "body", body, "The comment", required=True, max_length=MAX_BODY, multiline=True
    )
    problems.raise_if_any()
    assert case is not None
    assert text is not None

    await serialize_appends(session, Stream.CASE_COMMENTS, [case.id])
    previous = await session.scalar(select(func.max(Comment.id)).where(Comment.case_id == case.id))
    comment = Comment(case_id=case.id, author_id=author_id, body=text, created_at=utcnow())
    session.add(comment)
    case.updated_at = comment.created_at
    await session.flush()

    mentioned = await mentioned_users(session, text)
    session.add_all(CommentMention(comment_id=comment.id, user_id=u.id) for u in mentioned)
    # Every staff user of the tenant may see the case, so every mentioned one is told.
    recipients = [u for u in mentioned if u.id != author_id]
    await notify(
        session,
        tenant_id=case.tenant_id,
        kind=NotificationKind.MENTION,
        recipient_ids=[u.id for u in recipients],
        actor_id=author_id,
        case_id=case.id,
        comment_id=comment.id,
    )
    author = await session.get(User, author_id)
    who = author.name if author else "Someone"
    for user in recipients:
        if user.email_on_mention:
            await queue_email(
                session,
                to=user.email,
                subject=f"{who} mentioned you on case #{case.number}: {case.title}",
                body=f"{who} mentioned you on case #{case.number} ({case.title}):\n\n{text}\n",
            )
    await session.flush()
    announce(session, channels.case_comments(case.tenant_id, case.id), id=comment.id, prev=previous)
    return comment
