"""Signing in and out: random bearer tokens, stored only as hashes, expiring and revocable."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, String, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import single_statement
from db.models import AccessToken, Contact, User, utcnow
from db.prepared import PreparedRead
from domain import channels
from domain.announcements import announce
from domain.errors import Problems, UserError, UserErrorCode, UserErrors
from domain.passwords import hash_password, password_problem, verify_password
from domain.viewer import Role, Viewer, ViewerKind

_WRONG = UserError(("email",), "Wrong e-mail or password.", UserErrorCode.INVALID)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def _issue(
    session: AsyncSession,
    *,
    tenant_id: int,
    lifetime: timedelta,
    user_id: int | None = None,
    contact_id: int | None = None,
) -> tuple[str, AccessToken]:
    token = secrets.token_urlsafe(32)
    row = AccessToken(
        token_hash=token_digest(token),
        tenant_id=tenant_id,
        user_id=user_id,
        contact_id=contact_id,
        expires_at=utcnow() + lifetime,
    )
    session.add(row)
    await session.flush()
    return token, row


async def login(
    session: AsyncSession, email: str, password: str, lifetime: timedelta
) -> tuple[str, Viewer]:
    user = await session.scalar(select(User).where(User.email == normalize_email(email)))
    ok = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        raise UserErrors([_WRONG])
    token, row = await _issue(session, tenant_id=user.tenant_id, lifetime=lifetime, user_id=user.id)
    return token, staff_viewer(user, row.id)


async def portal_login(
    session: AsyncSession, email: str, password: str, lifetime: timedelta
) -> tuple[str, Viewer]:
    contact = await session.scalar(
        select(Contact).where(Contact.portal_email == normalize_email(email))
    )
    password_hash = contact.portal_password_hash if contact else None
    ok = await asyncio.to_thread(verify_password, password_hash, password)
    if contact is None or not ok:
        raise UserErrors([_WRONG])
    token, row = await _issue(
        session, tenant_id=contact.tenant_id, lifetime=lifetime, contact_id=contact.id
    )
    return token, contact_viewer(contact, row.id)


def staff_viewer(user: User, token_id: int) -> Viewer:
    return Viewer(
        kind=ViewerKind.STAFF,
        tenant_id=user.tenant_id,
        token_id=token_id,
        user_id=user.id,
        role=Role(user.role),
        name=user.name,
    )


def contact_viewer(contact: Contact, token_id: int) -> Viewer:
    return Viewer(
        kind=ViewerKind.CONTACT,
        tenant_id=contact.tenant_id,
        token_id=token_id,
        contact_id=contact.id,
        customer_id=contact.customer_id,
        name=contact.name,
    )


async def viewer_for_token(session: AsyncSession, token: str) -> Viewer | None:
    """The viewer a bearer token stands for, or None when it is unknown, expired or revoked.

    One statement, of plain columns, outside a transaction: every request asks this first.
    """
    return (await viewers_for_tokens(session, [token])).get(token)


def _tokens(which: ColumnElement[bool], now: Any) -> Select[*tuple[Any, ...]]:
    """The viewers' columns of the live tokens `which` selects (by digest)."""
    return (
        select(
            AccessToken.token_hash,
            AccessToken.id,
            AccessToken.tenant_id,
            AccessToken.expires_at,
            User.id,
            User.role,
            User.name,
            User.active,
            Contact.id,
            Contact.customer_id,
            Contact.name,
            Contact.portal_password_hash.is_not(None),
        )
        .select_from(AccessToken)
        .outerjoin(User, User.id == AccessToken.user_id)
        .outerjoin(Contact, Contact.id == AccessToken.contact_id)
        .where(which, AccessToken.revoked_at.is_(None), AccessToken.expires_at > now)
    )


# A token's digest finds its tenant: the one read made across tenants on every request.
_ONE_TOKEN = PreparedRead(
    _tokens(
        AccessToken.token_hash == bindparam("digest", type_=String()),
        bindparam("now", type_=AccessToken.expires_at.type),
    ),
    across_tenants=True,
)


async def viewers_for_tokens(session: AsyncSession, tokens: Collection[str]) -> dict[str, Viewer]:
    """The viewers these bearer tokens stand for, in one statement (as `viewer_for_token`);
    a token unknown, expired or revoked is not in the answer."""
    if not tokens:
        return {}
    by_digest = {token_digest(token): token for token in tokens}
    await single_statement(session)
    if len(by_digest) == 1:
        # What every request asks first: compiled once, run as the driver's SQL.
        digest = next(iter(by_digest))
        rows = await _ONE_TOKEN.rows(session, {"digest": digest, "now": utcnow()})
    else:
        token = AccessToken.token_hash
        rows = list((await session.execute(_tokens(token.in_(by_digest), utcnow()))).all())
    viewers = {}
    for digest, *found in rows:
        viewer = _viewer_of(*found)
        if viewer is not None:
            viewers[by_digest[digest]] = viewer
    return viewers


def _viewer_of(
    token_id: int,
    tenant_id: int,
    expires_at: datetime,
    user_id: int | None,
    role: str | None,
    user_name: str | None,
    active: bool | None,
    contact_id: int | None,
    customer_id: int | None,
    contact_name: str | None,
    has_portal_access: bool | None,
) -> Viewer | None:
    if user_id is not None:
        if not active:
            return None
        return Viewer(
            kind=ViewerKind.STAFF,
            tenant_id=tenant_id,
            token_id=token_id,
            user_id=user_id,
            role=Role(role) if role is not None else None,
            name=user_name or "",
            expires_at=expires_at,
        )
    if contact_id is not None and has_portal_access:
        return Viewer(
            kind=ViewerKind.CONTACT,
            tenant_id=tenant_id,
            token_id=token_id,
            contact_id=contact_id,
            customer_id=customer_id,
            name=contact_name or "",
            expires_at=expires_at,
        )
    return None


async def revoke_token(session: AsyncSession, token_id: int) -> None:
    await _revoke(session, AccessToken.id == token_id)


async def revoke_all_for_user(
    session: AsyncSession, user_id: int, *, except_token_id: int | None = None
) -> None:
    condition = AccessToken.user_id == user_id
    if except_token_id is not None:
        condition = condition & (AccessToken.id != except_token_id)
    await _revoke(session, condition)


async def revoke_all_for_contact(
    session: AsyncSession, contact_id: int, *, except_token_id: int | None = None
) -> None:
    condition = AccessToken.contact_id == contact_id
    if except_token_id is not None:
        condition = condition & (AccessToken.id != except_token_id)
    await _revoke(session, condition)


async def _revoke(session: AsyncSession, condition: ColumnElement[bool]) -> None:
    """Revokes the tokens that match; once committed, every instance closes their sockets."""
    revoked = (
        await session.scalars(
            update(AccessToken)
            .where(condition, AccessToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .returning(AccessToken.id)
        )
    ).all()
    if revoked:
        announce(session, channels.ended_sign_ins(), tokens=sorted(revoked))


async def change_password(
    session: AsyncSession, viewer: Viewer, current_password: str, new_password: str
) -> None:
    """The viewer's new password (staff user or portal contact); every other token of theirs
    stops working, and their sockets close."""
    person: User | Contact | None
    if viewer.user_id is not None:
        person = await session.get(User, viewer.user_id)
        password_hash = person.password_hash if person is not None else None
    else:
        person = await session.get(Contact, viewer.contact_id)
        password_hash = person.portal_password_hash if person is not None else None
    problems = Problems()
    if not await asyncio.to_thread(verify_password, password_hash, current_password):
        problems.invalid("currentPassword", "The current password is wrong.")
    if (message := password_problem(new_password)) is not None:
        problems.invalid("newPassword", message)
    problems.raise_if_any()
    new_hash = await asyncio.to_thread(hash_password, new_password)
    if isinstance(person, User):
        person.password_hash = new_hash
        await revoke_all_for_user(session, person.id, except_token_id=viewer.token_id)
    elif isinstance(person, Contact):
        person.portal_password_hash = new_hash
        await revoke_all_for_contact(session, person.id, except_token_id=viewer.token_id)
