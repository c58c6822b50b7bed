"""Forgotten passwords: a single-use link by e-mail, and the new password it lets one set.

A request never tells whether the address belongs to anyone: the answer is the same, and
only an active staff user (or a contact with portal access) is mailed. The link's token is
random, stored only as its SHA-256, works once and for a limited time, and only while the
person still has the address it was sent to and may still sign in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Contact, PasswordReset, User, utcnow
from domain import signin
from domain.errors import Problems, UserError, UserErrorCode, UserErrors
from domain.mail_texts import password_reset_mail
from domain.outbox import queue_email
from domain.passwords import password_problem

_BAD_TOKEN = UserError(
    ("input", "token"),
    "The link is not valid any more: ask for a new one.",
    UserErrorCode.INVALID,
)


@dataclass(frozen=True)
class Recipient:
    """Whom a reset link is mailed to: a staff user or a portal contact."""

    tenant_id: int
    name: str
    email: str
    user_id: int | None = None
    contact_id: int | None = None


def new_token() -> str:
    return secrets.token_urlsafe(32)


async def find_recipient(session: AsyncSession, email: str, *, portal: bool) -> Recipient | None:
    """The active user (or, for the portal, the contact with portal access) with this e-mail.

    One statement either way, so an unknown address costs what a known one does.
    """
    address = signin.normalize_email(email)
    if portal:
        contact = await session.scalar(select(Contact).where(Contact.portal_email == address))
        if contact is None or contact.portal_password_hash is None:
            return None
        return Recipient(contact.tenant_id, contact.name, address, contact_id=contact.id)
    user = await session.scalar(select(User).where(User.email == address))
    if user is None or not user.active:
        return None
    return Recipient(user.tenant_id, user.name, address, user_id=user.id)


def reset_link(public_url: str, token: str, *, portal: bool) -> str:
    path = "/portal/reset-password" if portal else "/reset-password"
    return f"{public_url.rstrip('/')}{path}?token={token}"


async def mail_reset_link(
    session: AsyncSession, recipient: Recipient, token: str, *, link: str, minutes: int
) -> None:
    """Stores the token's hash and queues the mail; `session` is the recipient's tenant's."""
    session.add(
        PasswordReset(
            token_hash=signin.token_digest(token),
            tenant_id=recipient.tenant_id,
            user_id=recipient.user_id,
            contact_id=recipient.contact_id,
            email=recipient.email,
            expires_at=utcnow() + timedelta(minutes=minutes),
        )
    )
    text = password_reset_mail(name=recipient.name, link=link, valid_minutes=minutes)
    await queue_email(session, to=recipient.email, subject=text.subject, body=text.body)


async def check_reset(session: AsyncSession, token: str, new_password: str) -> PasswordReset:
    """The unused, unexpired reset the token names, and a usable password, or UserErrors."""
    problems = Problems()
    reset = await session.scalar(
        select(PasswordReset).where(
            PasswordReset.token_hash == signin.token_digest(token),
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > utcnow(),
        )
    )
    if reset is None:
        problems.errors.append(_BAD_TOKEN)
    if (message := password_problem(new_password)) is not None:
        problems.invalid("newPassword", message)
    problems.raise_if_any()
    assert reset is not None
    return reset


async def reset_password(session: AsyncSession, reset_id: int, new_hash: str) -> None:
    """Uses the reset up and sets the password; every token of that person is revoked.

    The reset is claimed by one conditional UPDATE, so of two requests with one token
    only one gets it; `session` is the reset's tenant's transaction.
    """
    now = utcnow()
    claimed = (
        await session.execute(
            update(PasswordReset)
            .where(
                PasswordReset.id == reset_id,
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
            .values(used_at=now)
            .returning(PasswordReset.user_id, PasswordReset.contact_id, PasswordReset.email)
        )
    ).first()
    if claimed is None:
        raise UserErrors([_BAD_TOKEN])
    user_id, contact_id, email = claimed
    if user_id is not None:
        user = await session.get(User, user_id)
        # Deactivated, or the address changed since the link was sent: the link is dead.
        if user is None or not user.active or user.email != email:
            raise UserErrors([_BAD_TOKEN])
        user.password_hash = new_hash
        await signin.revoke_all_for_user(session, user.id)
        await withdraw_links(session, PasswordReset.user_id == user.id)
        return
    contact = await session.get(Contact, contact_id)
    if contact is None or contact.portal_password_hash is None or contact.portal_email != email:
        raise UserErrors([_BAD_TOKEN])
    contact.portal_password_hash = new_hash
    await signin.revoke_all_for_contact(session, contact.id)
    await withdraw_links(session, PasswordReset.contact_id == contact.id)


async def withdraw_links(session: AsyncSession, whose: ColumnElement[bool]) -> None:
    """Every unused link of that person stops working (a new password, access taken away)."""
    await session.execute(
        update(PasswordReset).where(whose, PasswordReset.used_at.is_(None)).values(used_at=utcnow())
    )
