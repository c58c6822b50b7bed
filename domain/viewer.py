"""Who is asking: a staff user or a customer contact signed in to the portal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.errors import NotAllowed


class ViewerKind(StrEnum):
    STAFF = "STAFF"
    CONTACT = "CONTACT"


class Role(StrEnum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


@dataclass(frozen=True)
class Viewer:
    kind: ViewerKind
    tenant_id: int
    token_id: int
    user_id: int | None = None
    contact_id: int | None = None
    customer_id: int | None = None
    role: Role | None = None
    name: str = ""
    # When the token stops working on its own (an open socket is closed then).
    expires_at: datetime | None = None

    @property
    def is_staff(self) -> bool:
        return self.kind is ViewerKind.STAFF

    @property
    def is_admin(self) -> bool:
        return self.is_staff and self.role is Role.ADMIN

    def require_admin(self) -> None:
        if not self.is_admin:
            raise NotAllowed("Only an administrator may do this.")

    @property
    def staff_user_id(self) -> int:
        if self.user_id is None:
            raise NotAllowed("Only staff may do this.")
        return self.user_id
