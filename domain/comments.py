"""Internal comments on a case, and what a comment sets off: mentions, notifications, mail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import BigInteger, Table, Text, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, Comment, CommentMention, utcnow
from db.models.base import UTCDateTime
from db.streams import Stream, locked_for_append, previous_id
from domain import channels, validation
from domain.announcements import announce
from domain.attachments import StoredFile, attach
from domain.cases.access import may_see
from domain.cases.merging import refuse_merged
from domain.errors import Problems
from domain.mail_texts import mention_mail
from domain.mentions import mentioned_users
from domain.notifications import NotificationKind, notify
from domain.outbox import Email, queue_emails
from domain.viewer import Viewer
from domain.webhooks import WebhookEvent, case_data, emit, global_id

MAX_BODY = 20_000

# Rows written as they are, without the ORM's unit of work (this is the hot path of the lobby).
_COMMENTS = cast(Table, Comment.__table__)
_MENTIONS = cast(Table, CommentMention.__table__)
_PREVIOUS = previous_id(_COMMENTS, "case_id", replayed_only="merged_in")


async def add_comment(
    session: AsyncSession,
    viewer: Viewer,
    case_id: int | None,
    body: str,
    files: Sequence[StoredFile] = (),
) -> Comment:
    problems = Problems()
    author_id = viewer.staff_user_id
    now = utcnow()
    case = await _touch_visible_case(session, viewer, case_id, now)
    if case is None:
        problems.not_found("caseId", "The case")
    refuse_merged(problems, case, "caseId")
    text = validation.text(
        problems, "body", body, "The comment", required=True, max_length=MAX_BODY, multiline=True
    )
    problems.raise_if_any()
    assert case is not None
    assert text is not None

    mentioned = await mentioned_users(session, text)
    # Every staff user of the tenant may see the case, so every mentioned one is told.
    recipients = [u for u in mentioned if u.id != author_id]
    # The recipients' notification streams are locked by the same statement, after the
    # case's row (as every writer takes them) and before their notifications are written.
    row = select(
        literal(case.tenant_id, BigInteger),
        literal(case.id, BigInteger),
        literal(author_id, BigInteger),
        literal(text, Text),
        literal(now, UTCDateTime()),
    ).where(locked_for_append(session, Stream.USER_NOTIFICATIONS, [u.id for u in recipients]))
    comment_id, previous = (
        await session.execute(
            insert(_COMMENTS)
            .from_select(["tenant_id", "case_id", "author_id", "body", "created_at"], row)
            .returning(_COMMENTS.c.id, _PREVIOUS)
        )
    ).one()
    comment = Comment(
        id=comment_id,
        tenant_id=case.tenant_id,
        case_id=case.id,
        author_id=author_id,
        body=text,
        created_at=now,
    )
    if mentioned:
        await session.execute(
            insert(_MENTIONS).values(
                [
                    {"tenant_id": case.tenant_id, "comment_id": comment_id, "user_id": u.id}
                    for u in mentioned
                ]
            )
        )
    await attach(session, case, files, uploaded_by=viewer.name, comment_id=comment_id)
    await notify(
        session,
        tenant_id=case.tenant_id,
        kind=NotificationKind.MENTION,
        recipient_ids=[u.id for u in recipients],
        actor_id=author_id,
        case_id=case.id,
        comment_id=comment_id,
    )
    announce(session, channels.case_comments(case.tenant_id, case.id), id=comment_id, prev=previous)
    await emit(
        session,
        case.tenant_id,
        WebhookEvent.COMMENT_ADDED,
        {
            "case": case_data(case.id, case.number, case.title),
            "comment": {
                "id": global_id("Comment", comment_id),
                "body": text,
                "authorName": viewer.name,
            },
        },
    )
    mail = mention_mail(
        author_name=viewer.name, case_number=case.number, case_title=case.title, comment=text
    )
    await queue_emails(
        session,
        [
            Email(to=user.email, subject=mail.subject, body=mail.body)
            for user in recipients
            if user.email_on_mention
        ],
    )
    return comment


async def _touch_visible_case(
    session: AsyncSession, viewer: Viewer, case_id: int | None, at: datetime
) -> Case | None:
    """The case, updated at `at`, if the viewer may see it, with its comments locked for
    this transaction: one statement for the three. The lock comes before the case's row
    lock, the order every writer of comments has always taken them in.
    """
    if case_id is None:
        return None
    case = await session.scalar(
        update(Case)
        .where(Case.id == case_id, locked_for_append(session, Stream.CASE_COMMENTS, [case_id]))
        .values(updated_at=at)
        .returning(Case)
        # Nothing in this session holds the case yet: no need to look for it.
        .execution_options(synchronize_session=False)
    )
    # A case the viewer may not see is left as it was: the caller's UserError rolls back.
    return case if case is not None and may_see(viewer, case) else None
