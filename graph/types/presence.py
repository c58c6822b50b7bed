"""Who is on a case: its viewers and who is typing."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry

from db import models
from domain.case_presence import Presence
from graph.types.user import User


@strawberry.type(description="Who views a case right now and who is typing on it, by name.")
class CasePresence:
    viewers: list[User]
    typing: list[User]

    @classmethod
    def of(cls, presence: Presence, users_by_name: Sequence[models.User]) -> CasePresence:
        """`presence` with the users it names, `users_by_name` holding them in name order."""
        return cls(
            viewers=[User.from_row(u) for u in users_by_name if u.id in presence.viewers],
            typing=[User.from_row(u) for u in users_by_name if u.id in presence.typing],
        )
