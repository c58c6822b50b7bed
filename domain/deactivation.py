"""Deactivating a staff user (they keep their history but can no longer sign in) and back."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User
from domain.admins import hold_admins, is_last_active_admin
from domain.errors import Problems, UserErrorCode
from domain.signin import revoke_all_for_user


async def user_by_id(session: AsyncSession, user_id: int | None, path: str = "id") -> User:
    """The tenant's user; NOT_FOUND on `path` otherwise."""
    user = await session.get(User, user_id) if user_id is not None else None
    if user is None:
        problems = Problems()
        problems.not_found(path, "The user")
        problems.raise_if_any()
    assert user is not None
    return user


async def deactivate_user(session: AsyncSession, user_id: int | None) -> User:
    """Signs them out everywhere at once; they stay on their cases, events and comments."""
    await hold_admins(session)
    user = await user_by_id(session, user_id)
    if await is_last_active_admin(session, user):
        problems = Problems()
        problems.add(
            "id", "The last active administrator cannot be deactivated.", UserErrorCode.NOT_ALLOWED
        )
        problems.raise_if_any()
    if user.active:
        user.active = False
        await session.flush()
        await revoke_all_for_user(session, user.id)
    return user


async def reactivate_user(session: AsyncSession, user_id: int | None) -> User:
    """They may sign in again (with a new sign-in: their old tokens stay revoked)."""
    user = await user_by_id(session, user_id)
    user.active = True
    await session.flush()
    return user
