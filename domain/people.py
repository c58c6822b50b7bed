"""Staff users and groups."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Group, GroupMember, User
from db.tenancy import ALL_TENANTS
from domain import validation
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
    handle = validation.handle(problems, "handle", new.handle or (email or "").split("@")[0])
    phone = validation.phone(problems, "phone", new.phone)
    if (message := password_problem(new.password)) is not None:
        problems.invalid("password", message)
    # E-mails are unique across tenants (sign-in needs no tenant), so look at every tenant.
    if email and await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.email == email)
        .execution_options(**ALL_TENANTS)
    ):
        problems.invalid("email", "A user with this e-mail already exists.")
    if handle and await session.scalar(
        select(func.count()).select_from(User).where(User.handle_key == handle.lower())
    ):
        problems.invalid("handle", f"The handle @{handle} is already taken.")
    problems.raise_if_any()
    assert email and name and handle
    user = User(
        email=email,
        name=name,
        handle=handle,
        handle_key=handle.lower(),
        phone=phone,
        role=new.role.value,
        password_hash=await asyncio.to_thread(hash_password, new.password),
    )
    session.add(user)
    await session.flush()
    return user


async def create_group(session: AsyncSession, name: str, member_ids: Sequence[int | None]) -> Group:
    problems = Problems()
    clean_name = validation.text(problems, "name", name, "Name", required=True)
    wanted = {i for i in member_ids if i is not None}
    found = set((await session.scalars(select(User.id).where(User.id.in_(wanted)))).all())
    if None in member_ids or found != wanted:
        problems.not_found("memberIds", "A member")
    problems.raise_if_any()
    assert clean_name
    group = Group(name=clean_name)
    session.add(group)
    await session.flush()
    session.add_all(GroupMember(group_id=group.id, user_id=user_id) for user_id in sorted(found))
    await session.flush()
    return group
