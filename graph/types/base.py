"""The types every family builds on: Node, UserError, GeoPoint and Relay connections."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from domain.absent import ABSENT, Maybe
from domain.errors import UserError as DomainUserError
from domain.errors import UserErrorCode

strawberry.enum(UserErrorCode, name="UserErrorCode")


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID


@strawberry.type(description="Input a person can correct; nothing was written.")
class UserError:
    field: list[str]
    message: str
    code: UserErrorCode

    @classmethod
    def from_domain(cls, error: DomainUserError) -> UserError:
        return cls(field=list(error.field), message=error.message, code=error.code)


def user_errors(errors: Sequence[DomainUserError]) -> list[UserError]:
    return [UserError.from_domain(e) for e in errors]


@strawberry.type
class GeoPoint:
    lat: float
    lng: float

    @classmethod
    def maybe(cls, lat: float | None, lng: float | None) -> GeoPoint | None:
        return None if lat is None or lng is None else cls(lat=lat, lng=lng)


@strawberry.input
class GeoPointInput:
    lat: float
    lng: float


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


T = TypeVar("T")


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="All items matching, regardless of paging; costs a count.")
    async def total_count(self) -> int:
        return await self.count()

    @classmethod
    def of(
        cls,
        nodes: Sequence[T],
        cursors: Sequence[str],
        *,
        has_next: bool,
        has_previous: bool,
        count: Callable[[], Awaitable[int]],
    ) -> Connection[T]:
        return cls(
            edges=[Edge(cursor=c, node=n) for n, c in zip(nodes, cursors, strict=True)],
            page_info=PageInfo(
                has_next_page=has_next,
                has_previous_page=has_previous,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else None,
            ),
            count=count,
        )


# An input field's default when a client may leave it out, as opposed to sending null.
NOT_SENT: Any = strawberry.UNSET


def sent(value: T) -> Maybe[T]:
    """ABSENT for an input field the client left out, else what it sent (null included)."""
    return ABSENT if value is strawberry.UNSET else value
