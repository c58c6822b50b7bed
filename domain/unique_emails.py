"""E-mail addresses unique across tenants, and the one answer when one is already taken.

Staff e-mails and portal-login e-mails each name one person system-wide (signing in
needs no tenant), so they are looked up in every tenant. The answer is the same whether
the address is the asking tenant's or another's: same message, code and field, the same
statements and no password hashed, and a concurrent claim of the same address gives it
too rather than a server error. That it is given at all is still a hint that the address
exists somewhere, which is why the API counts these answers (`graph/throttle.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Contact, User
from db.tenancy import ALL_TENANTS

STAFF_EMAIL_TAKEN = "A user with this e-mail already exists."
PORTAL_EMAIL_TAKEN = "Another portal login already uses this e-mail address."
TAKEN_ANSWERS = frozenset({STAFF_EMAIL_TAKEN, PORTAL_EMAIL_TAKEN})


async def staff_email_taken(session: AsyncSession, email: str) -> bool:
    found = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.email == email)
        .execution_options(**ALL_TENANTS)
    )
    return bool(found)


async def portal_email_taken(session: AsyncSession, email: str, contact_id: int) -> bool:
    """Whether a contact other than this one signs in to the portal with `email`."""
    found = await session.scalar(
        select(func.count())
        .select_from(Contact)
        .where(Contact.portal_email == email, Contact.id != contact_id)
        .execution_options(**ALL_TENANTS)
    )
    return bool(found)


async def claim(
    session: AsyncSession, write: Callable[[], None], recheck: Callable[[], Awaitable[None]]
) -> None:
    """Writes a row holding a unique address; one claimed meanwhile is reported by `recheck`.

    Two transactions can both find an address free and both write it; the unique index
    refuses the second. Its write runs in a savepoint, so that on refusal the transaction
    is still usable and `recheck` (which raises UserErrors) gives the usual answer.
    """
    try:
        async with session.begin_nested():
            write()
            await session.flush()
    except IntegrityError:
        await recheck()
        raise
