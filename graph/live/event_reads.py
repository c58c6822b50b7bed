"""What every subscriber of an event must have checked, read once for all of them.

Is each token still good, may its viewer still see this case: the hub (hub.py) asks for
all of a channel's subscribers at once, and the open-socket registry
(sockets/open_sockets.py) for every open socket's token when the bus may have missed a
sign-in's end.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from db.engine import Database, single_statement
from db.models import AccessToken, Case, utcnow

# Tokens per statement: well below every database's limit on bound parameters.
_CHUNK = 1000


class EventReads:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def valid_tokens(self, token_ids: Collection[int]) -> set[int]:
        """Which of these tokens are still good: neither revoked nor expired."""
        # System-wide by id: each subscriber's own token, whatever its tenant.
        ids = sorted(token_ids)
        valid: set[int] = set()
        async with self._db.session(None) as session:
            await single_statement(session)
            for start in range(0, len(ids), _CHUNK):
                valid.update(
                    (
                        await session.scalars(
                            select(AccessToken.id).where(
                                AccessToken.id.in_(ids[start : start + _CHUNK]),
                                AccessToken.revoked_at.is_(None),
                                AccessToken.expires_at > utcnow(),
                            )
                        )
                    ).all()
                )
        return valid

    async def cases_by_id(self, case_ids: Collection[int]) -> dict[int, Case]:
        # Unscoped by tenant on purpose: `may_see` compares each case's tenant with the viewer's.
        async with self._db.session(None) as session:
            await single_statement(session)
            cases = await session.scalars(select(Case).where(Case.id.in_(case_ids)))
            return {case.id: case for case in cases.all()}
