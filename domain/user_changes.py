"""Changing a staff user: by an administrator, or by the user in their own profile.

Only what is sent changes; null clears what may be empty (a phone number) and is REQUIRED
for what may not. E-mails stay unique system-wide and handles within the tenant.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, CaseAssignedUser, User
from domain import unique_emails, validation
from domain.absent import ABSENT, Maybe
from domain.admins import hold_admins, is_last_active_admin
from domain.cases.search_text import refresh_search_text_where
from domain.deactivation import user_by_id
from domain.errors import Problems, UserErrorCode
from domain.viewer import Role


@dataclass(frozen=True)
class UserChanges:
    name: Maybe[str | None] = ABSENT
    email: Maybe[str | None] = ABSENT
    handle: Maybe[str | None] = ABSENT
    phone: Maybe[str | None] = ABSENT
    role: Maybe[Role | None] = ABSENT
    email_on_mention: Maybe[bool | None] = ABSENT
    email_on_assignment: Maybe[bool | None] = ABSENT


async def _taken(
    session: AsyncSession, problems: Problems, user: User, email: str | None, handle: str | None
) -> None:
    if (
        email is not None
        and email != user.email
        and await unique_emails.staff_email_taken(session, email)
    ):
        problems.invalid("email", unique_emails.STAFF_EMAIL_TAKEN)
    if handle is not None and handle.lower() != user.handle_key:
        taken = await session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.handle_key == handle.lower(), User.id != user.id)
        )
        if taken:
            problems.invalid("handle", f"The handle @{handle} is already taken.")


def _required_flag(problems: Problems, path: str, value: bool | None, what: str) -> bool | None:
    if value is None:
        problems.required(path, what)
    return value


async def _check(
    session: AsyncSession, problems: Problems, user: User, changes: UserChanges
) -> dict[str, object]:
    values: dict[str, object] = {}
    if changes.name is not ABSENT:
        values["name"] = validation.text(problems, "name", changes.name, "Name", required=True)
    if changes.email is not ABSENT:
        values["email"] = validation.email(problems, "email", changes.email, required=True)
    if changes.handle is not ABSENT:
        if changes.handle is None or not changes.handle.strip():
            problems.required("handle", "The handle")
        elif (handle := validation.handle(problems, "handle", changes.handle)) is not None:
            values["handle"] = handle
            values["handle_key"] = handle.lower()
    if changes.phone is not ABSENT:
        values["phone"] = validation.phone(problems, "phone", changes.phone)
    if changes.role is not ABSENT:
        if changes.role is None:
            problems.required("role", "The role")
        elif changes.role is Role.MEMBER and await is_last_active_admin(session, user):
            problems.add(
                "role",
                "The last active administrator must stay an administrator.",
                UserErrorCode.NOT_ALLOWED,
            )
        else:
            values["role"] = changes.role.value
    for attribute, path in (
        ("email_on_mention", "emailOnMention"),
        ("email_on_assignment", "emailOnAssignment"),
    ):
        sent = getattr(changes, attribute)
        if sent is not ABSENT:
            values[attribute] = _required_flag(problems, path, sent, "Yes or no")
    new_email, new_handle = values.get("email"), values.get("handle")
    await _taken(
        session,
        problems,
        user,
        new_email if isinstance(new_email, str) else None,
        new_handle if isinstance(new_handle, str) else None,
    )
    return values


async def change_user(session: AsyncSession, user_id: int | None, changes: UserChanges) -> User:
    """Applies the checked changes, or raises UserErrors with every problem and writes nothing."""
    if changes.role is not ABSENT:
        await hold_admins(session)
    user = await user_by_id(session, user_id)
    problems = Problems()
    values = await _check(session, problems, user, changes)
    problems.raise_if_any()
    renamed = "name" in values and values["name"] != user.name

    def write() -> None:
        for attribute, value in values.items():
            setattr(user, attribute, value)

    async def recheck() -> None:
        # Another transaction took the address or handle meanwhile; the savepoint's rollback
        # expired the user, so it is read again first.
        await session.refresh(user)
        await _check(session, problems, user, changes)
        problems.raise_if_any()

    await unique_emails.claim(session, write, recheck)
    if renamed:
        assigned = select(CaseAssignedUser.case_id).where(CaseAssignedUser.user_id == user.id)
        await refresh_search_text_where(session, Case.id.in_(assigned))
    return user
