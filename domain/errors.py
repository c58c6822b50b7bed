"""The errors the domain raises.

    DomainError
    ├── UserErrors     input a person can correct; carries UserError items, nothing is written
    ├── NotSignedIn    no valid viewer where one is needed            (UNAUTHENTICATED)
    ├── NotAllowed     the viewer may not do this at all              (FORBIDDEN)
    └── NotFound       what a subscription names does not exist       (NOT_FOUND)

An object of another tenant is never NotAllowed: it is reported as NOT_FOUND, exactly
like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class UserErrorCode(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    NOT_ALLOWED = "NOT_ALLOWED"
    DISABLED = "DISABLED"


@dataclass(frozen=True)
class UserError:
    field: tuple[str, ...]
    message: str
    code: UserErrorCode


class DomainError(Exception):
    code = "INTERNAL"

    @property
    def extensions(self) -> dict[str, str]:
        # Read by the API edge when it reports the error; the codes are the public ones.
        return {"code": self.code}


class UserErrors(DomainError):
    def __init__(self, errors: Sequence[UserError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.code = "BAD_USER_INPUT"
        self.errors = list(errors)


class NotSignedIn(DomainError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "You must be signed in.") -> None:
        super().__init__(message)


class NotAllowed(DomainError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "You may not do this.") -> None:
        super().__init__(message)


class NotFound(DomainError):
    """Only where no payload can carry a userError (subscriptions); mutations use UserErrors."""

    code = "NOT_FOUND"


@dataclass
class Problems:
    """Collects every problem with an input, so the client sees them all at once."""

    prefix: tuple[str, ...] = ("input",)
    errors: list[UserError] = field(default_factory=list)

    def add(self, path: str | Sequence[str], message: str, code: UserErrorCode) -> None:
        parts = (path,) if isinstance(path, str) else tuple(path)
        self.errors.append(UserError(self.prefix + parts, message, code))

    def required(self, path: str | Sequence[str], what: str) -> None:
        self.add(path, f"{what} is required.", UserErrorCode.REQUIRED)

    def invalid(self, path: str | Sequence[str], message: str) -> None:
        self.add(path, message, UserErrorCode.INVALID)

    def not_found(self, path: str | Sequence[str], what: str) -> None:
        self.add(path, f"{what} was not found.", UserErrorCode.NOT_FOUND)

    def has(self, path: str) -> bool:
        return any(e.field[len(self.prefix) :][:1] == (path,) for e in self.errors)

    def has_path(self, path: Sequence[str]) -> bool:
        """Whether a problem is recorded at `path` or below it."""
        parts = tuple(path)
        return any(e.field[len(self.prefix) :][: len(parts)] == parts for e in self.errors)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise UserErrors(self.errors)
