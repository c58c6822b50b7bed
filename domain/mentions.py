"""What a mention is: `@handle` in a comment, not inside an e-mail address or a code span."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User

# Not preceded by a word character, '.', '+', '-' or '@' (e-mail addresses, "@@handle").
_MENTION = re.compile(r"(?<![\w.+@-])@([\w.-]+)")
_HANDLE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def mentioned_handles(body: str) -> list[str]:
    """Lower-cased handles in order of first mention, without repeats."""
    text = _CODE.sub(" ", body)
    handles: list[str] = []
    for match in _MENTION.finditer(text):
        # Sentence punctuation after a handle ("ping @erik.") is not part of it.
        handle = match.group(1).rstrip("._-").lower()
        if _HANDLE.fullmatch(handle) and handle not in handles:
            handles.append(handle)
    return handles


@dataclass(frozen=True)
class MentionedUser:
    id: int
    email: str
    email_on_mention: bool


async def mentioned_users(session: AsyncSession, body: str) -> list[MentionedUser]:
    """The users of the session's tenant that `body` mentions; unknown handles stay text."""
    handles = mentioned_handles(body)
    if not handles:
        return []
    rows = await session.execute(
        select(User.handle_key, User.id, User.email, User.email_on_mention).where(
            User.handle_key.in_(handles), User.active.is_(True)
        )
    )
    by_handle = {
        handle: MentionedUser(id=id_, email=email, email_on_mention=on_mention)
        for handle, id_, email, on_mention in rows.all()
    }
    return [by_handle[h] for h in handles if h in by_handle]
