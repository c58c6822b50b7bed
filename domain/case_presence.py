"""Who is on a case right now: its viewers, and who is typing, merged from every instance.

Presence is never stored. Each instance knows the part that goes through it (who views the
case there, who last called `setTyping` there) and the parts the other instances told it;
a case's presence is their union. Typing follows each user's latest `setTyping`, wherever it
was made: a `false` on one instance ends a `true` made on another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import User

# A `setTyping(true)` counts for this long (API.md).
TYPING_SECONDS = 10.0

# (tenant id, case id): the tenant travels with the case so no part can cross tenants.
CaseKey = tuple[int, int]


@dataclass(frozen=True)
class Typed:
    """A user's latest `setTyping` on one instance: when (Unix time) and which way."""

    at: float
    typing: bool

    def expired(self, now: float) -> bool:
        return now - self.at >= TYPING_SECONDS


@dataclass(frozen=True)
class CasePart:
    """One instance's part of a case's presence."""

    viewers: frozenset[int] = frozenset()
    typed: dict[int, Typed] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.viewers or self.typed)

    def without_expired(self, now: float) -> CasePart:
        """The part without what no longer decides anything: typing older than the bound."""
        typed = {user: t for user, t in self.typed.items() if not t.expired(now)}
        return self if len(typed) == len(self.typed) else CasePart(self.viewers, typed)

    def typing_ends(self) -> Iterable[float]:
        """When each user typing in this part stops counting as typing (Unix time)."""
        return (t.at + TYPING_SECONDS for t in self.typed.values() if t.typing)


@dataclass(frozen=True)
class Presence:
    """A case's presence as user ids: what a subscriber compares, so it never sends the same
    presence twice."""

    viewers: frozenset[int]
    typing: frozenset[int]

    @property
    def users(self) -> frozenset[int]:
        return self.viewers | self.typing


def merge(parts: Iterable[CasePart], now: float) -> Presence:
    """The presence of a case from every instance's part: a user counts once."""
    viewers: set[int] = set()
    latest: dict[int, Typed] = {}
    for part in parts:
        viewers |= part.viewers
        for user, typed in part.typed.items():
            seen = latest.get(user)
            # On a tie `false` wins: a user is never shown typing after saying they stopped.
            if seen is None or (typed.at, not typed.typing) > (seen.at, not seen.typing):
                latest[user] = typed
    typing = {user for user, t in latest.items() if t.typing and not t.expired(now)}
    return Presence(frozenset(viewers), frozenset(typing))


async def present_users(session: AsyncSession, presence: Presence) -> list[User]:
    """The users a presence names, by name (as every list of users is ordered)."""
    if not presence.users:
        return []
    statement = select(User).where(User.id.in_(presence.users)).order_by(User.name, User.id)
    return list((await session.scalars(statement)).all())
