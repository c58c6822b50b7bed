"""What a transaction tells the live side once it has committed (never before)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

_KEY = "announcements"


@dataclass(frozen=True)
class Announcement:
    channel: str
    payload: dict[str, Any]


def announce(session: AsyncSession, channel: str, **payload: Any) -> None:
    session.info.setdefault(_KEY, []).append(Announcement(channel, payload))


def announcements(session: AsyncSession) -> list[Announcement]:
    found: list[Announcement] = session.info.pop(_KEY, [])
    return found
