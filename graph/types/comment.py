"""Internal comments on a case."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from db import models
from graph.ids import to_global_id
from graph.types.base import Node
from graph.types.user import User

if TYPE_CHECKING:
    from graph.types.case import Case


@strawberry.type(description="An internal comment; never visible in the customer portal.")
class Comment(Node):
    body: str
    created_at: datetime
    pk: strawberry.Private[int]
    author_pk: strawberry.Private[int]
    case_pk: strawberry.Private[int]

    @strawberry.field
    async def author(self, info: strawberry.Info) -> User:
        row = await info.context.scope.loaders.by_id(models.User).load(self.author_pk)
        return User.from_row(row)

    @strawberry.field(description="Users mentioned with @handle, by name.")
    async def mentions(self, info: strawberry.Info) -> list[User]:
        rows = await info.context.scope.loaders.mentions_by_comment_id.load(self.pk)
        return [User.from_row(r) for r in rows]

    @strawberry.field
    async def case(
        self, info: strawberry.Info
    ) -> Annotated[Case, strawberry.lazy("graph.types.case")]:
        from graph.types.case import Case

        row = await info.context.scope.loaders.by_id(models.Case).load(self.case_pk)
        assert row is not None, "a comment's case is a foreign key"
        return Case.from_row(row)

    @classmethod
    def from_row(cls, row: models.Comment) -> Comment:
        return cls(
            id=strawberry.ID(to_global_id("Comment", row.id)),
            pk=row.id,
            author_pk=row.author_id,
            case_pk=row.case_id,
            body=row.body,
            created_at=row.created_at,
        )
