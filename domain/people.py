"""Staff users: adding one, and the e-mail and handle that must be free."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from domain import unique_emails, validation
from domain.errors import Problems
from domain.passwords import hash_password, password_problem
from domain.viewer import Role


@dataclass(frozen=True)
class NewUser:
    email: str
    name: str
    password: str
    handle: str | None = None
    role: Role = Role.MEMBER
    phone: str | None = None


async def create_user(session: AsyncSession, new: NewUser) -> User:
    problems = Problems()
    email = validation.email(problems, "email", new.email, required=True)
    name = validation.text(problems, "name", new.name, "Name", required=True)
    phone = validation.phone(problems, "phone", new.phone)
    if (message := password_problem(new.password)) is not None:
        problems.invalid("password", message)
    handle = await _check_unique(session, problems, email, new.handle)
    problems.raise_if_any()
    assert email and name and handle
    password_hash = await asyncio.to_thread(hash_password, new.password)
    user = User(
        email=email,
        name=name,
        handle=handle,
        handle_key=handle.lower(),
        phone=phone,
        role=new.role.value,
        password_hash=password_hash,
    )

    async def recheck() -> None:
        await _check_unique(session, problems, email, new.handle)
        problems.raise_if_any()

    await unique_emails.claim(session, lambda: session.add(user), recheck)
    return user


async def _check_unique(
    session: AsyncSession, problems: Problems, email: str | None, handle: str | None
) -> str | None:
    """Records a taken e-mail or handle; returns the handle to use (given or from the e-mail)."""
    taken = email is not None and await unique_emails.staff_email_taken(session, email)
    if taken:
        problems.invalid("email", unique_emails.STAFF_EMAIL_TAKEN)
        if not handle:
            # A handle made from an address in this tenant would be taken too, from one in
            # another tenant not: checking it would tell the two apart.
            return None
    clean = validation.handle(problems, "handle", handle or (email or "").split("@")[0])
    if clean and await session.scalar(
        select(func.count()).select_from(User).where(User.handle_key == clean.lower())
    ):
        problems.invalid("handle", f"The handle @{clean} is already taken.")
    return clean
