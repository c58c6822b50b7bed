"""Attachments: the rows that name files on a case, a comment or a customer message.

The bytes are in the file store, written before these rows by whoever calls in here; the
domain sees only what was stored (`StoredFile`). Who may see an attachment: staff of the
case's tenant; a portal contact only those of messages on a case it may see.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.fitting import fitted
from db.models import Attachment, Case, Comment, utcnow
from domain.cases.access import may_see
from domain.cases.merging import refuse_merged
from domain.errors import Problems
from domain.viewer import Viewer

DEFAULT_FILENAME = "attachment"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
MAX_FILENAME = 255
# C0 and C1 controls and DEL: nothing that belongs in a name or a header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class StoredFile:
    """A file already in the store, under `key`, with what its sender said of it."""

    key: str
    filename: str
    content_type: str
    size: int


def filename_of(given: str | None) -> str:
    """The name after the last / or \\, without control characters; never a path."""
    name = re.split(r"[/\\]", given or "")[-1]
    name = _CONTROL.sub("", name.encode("utf-8", "replace").decode()).strip()
    if name in ("", ".", ".."):
        return DEFAULT_FILENAME
    if len(name) > MAX_FILENAME:
        # Cut from the stem, so the file keeps its extension.
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 20:
            name = f"{stem[: MAX_FILENAME - len(extension) - 1]}.{extension}"
        else:
            name = name[:MAX_FILENAME]
    return name


def content_type_of(given: str | None) -> str:
    """As sent; only what no header may carry is taken out."""
    text = _CONTROL.sub("", (given or "").encode("utf-8", "replace").decode()).strip()
    return fitted(Attachment.content_type, text) or DEFAULT_CONTENT_TYPE


async def attach(
    session: AsyncSession,
    case: Case,
    files: Sequence[StoredFile],
    *,
    uploaded_by: str,
    comment_id: int | None = None,
    message_id: int | None = None,
) -> list[Attachment]:
    """Rows for stored files on the case (and the comment or message they came with)."""
    now = utcnow()
    rows = [
        Attachment(
            tenant_id=case.tenant_id,
            case_id=case.id,
            comment_id=comment_id,
            message_id=message_id,
            storage_key=f.key,
            filename=f.filename,
            content_type=f.content_type,
            size=f.size,
            uploaded_by_name=fitted(Attachment.uploaded_by_name, uploaded_by),
            created_at=now,
        )
        for f in files
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def add_attachments(
    session: AsyncSession,
    viewer: Viewer,
    case_id: int | None,
    comment_id: int | None,
    files: Sequence[StoredFile],
) -> list[Attachment]:
    """Staff attach files to a case, or to one of its comments."""
    problems = Problems()
    case = None
    if case_id is not None:
        # Locked, as deleting it locks it: its files are either deleted with it or not added.
        case = await session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None or not may_see(viewer, case):
        problems.not_found("caseId", "The case")
        problems.raise_if_any()
    assert case is not None
    refuse_merged(problems, case, "caseId")
    if comment_id is not None:
        comment = await session.get(Comment, comment_id)
        if comment is None or comment.case_id != case.id:
            problems.not_found("commentId", "The comment")
    if not files:
        problems.required("files", "A file")
    problems.raise_if_any()
    return await attach(session, case, files, uploaded_by=viewer.name, comment_id=comment_id)


async def visible_attachment(
    session: AsyncSession, viewer: Viewer, attachment_id: int
) -> Attachment | None:
    """The attachment if this viewer may see it: staff of its tenant (the session's scope);
    a portal contact only one of a customer message on a case it may see."""
    found = (
        await session.execute(
            select(Attachment, Case)
            .join(Case, Case.id == Attachment.case_id)
            .where(Attachment.id == attachment_id)
        )
    ).first()
    if found is None:
        return None
    attachment, case = found
    if not may_see(viewer, case):
        return None
    if not viewer.is_staff and attachment.message_id is None:
        return None
    return attachment
