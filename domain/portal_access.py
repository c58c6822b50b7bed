"""Taking a contact's customer-portal access away: no sign-in, no session, no reset link."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Contact, PasswordReset
from domain import signin
from domain.errors import Problems
from domain.password_resets import withdraw_links


async def disable_portal_access(session: AsyncSession, *, contact_id: int | None) -> Contact:
    """The contact can no longer sign in to the portal; open sockets close (4403).

    The portal e-mail is given up too, so the address may be used for portal access again
    (here, or by another tenant). Doing it twice is fine.
    """
    problems = Problems()
    contact = await session.get(Contact, contact_id) if contact_id is not None else None
    if contact is None:
        problems.not_found("contactId", "The contact")
    problems.raise_if_any()
    assert contact is not None
    contact.portal_password_hash = None
    contact.portal_email = None
    await signin.revoke_all_for_contact(session, contact.id)
    await withdraw_links(session, PasswordReset.contact_id == contact.id)
    return contact
