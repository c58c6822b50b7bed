"""Reply addresses: mail about a case carries `reply+<token>@<inbound domain>` as Reply-To.

The token is the case's own, random and unguessable, so a reply finds its case without
trusting anything else in the mail. The domain is the deployment's
(WORKCLOUD_INBOUND_DOMAIN), added when the mail is sent, so the domain code only names the
token.
"""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case
from db.tenancy import ALL_TENANTS

_REPLY_ADDRESS = re.compile(r"^reply\+([0-9a-f]{32})@", re.IGNORECASE)


def new_reply_token() -> str:
    """128 random bits in lower-case hex: survives mail systems that fold local parts."""
    return secrets.token_hex(16)


def reply_address(token: str, domain: str) -> str:
    return f"reply+{token}@{domain}"


def reply_token_in(address: str) -> str | None:
    """The token of a reply address (`reply+<token>@...`), lower-cased, or None."""
    match = _REPLY_ADDRESS.match(address.strip())
    return match.group(1).lower() if match else None


async def reply_token_of(session: AsyncSession, case: Case) -> str:
    """The case's reply token, made on first use by a case registered without one.

    Made by a conditional update, so two mails racing on such a case end up with the same
    token.
    """
    if case.reply_token is None:
        await session.execute(
            update(Case)
            .where(Case.id == case.id, Case.reply_token.is_(None))
            .values(reply_token=new_reply_token())
            .execution_options(synchronize_session=False)
        )
        await session.refresh(case, ["reply_token"])
    assert case.reply_token is not None
    return case.reply_token


async def case_for_reply(session: AsyncSession, token: str) -> Case | None:
    """The case a reply token belongs to, in any tenant (run on an unscoped session); for a
    case merged into another, that other one (and so on), which holds its conversation now."""
    found: Case | None = await session.scalar(
        select(Case).where(Case.reply_token == token.lower()).execution_options(**ALL_TENANTS)
    )
    # A merged case is never a merge's target, so this ends.
    while found is not None and found.merged_into_id is not None:
        target = await session.get(Case, found.merged_into_id)
        if target is None:
            break
        found = target
    return found
