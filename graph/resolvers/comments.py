"""Internal comments: adding one, and a case's comments oldest first."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.pagination import SortKey
from domain import comments
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import pk_of
from graph.resolvers.listing import connection
from graph.resolvers.mutation import perform
from graph.types.comment import Comment
from graph.types.common import Connection, UserError

Info = strawberry.Info[Context, None]


@strawberry.input
class AddCommentInput:
    case_id: strawberry.ID
    body: str


@strawberry.type
class AddCommentPayload:
    comment: Comment | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def case_comments(
    info: Info, case_pk: int, first: int | None, after: str | None
) -> Connection[Comment]:
    """`Case.comments`: oldest first, so a discussion reads top-down."""
    statement = select(models.Comment, models.Comment.id).where(models.Comment.case_id == case_pk)
    keys = [SortKey(models.Comment.id)]
    return await connection(info, statement, keys, Comment.from_row, first=first, after=after)


@strawberry.type
class CommentMutation:
    @strawberry.mutation(description="An internal comment; @handle mentions notify those users.")
    async def add_comment(self, info: Info, input: AddCommentInput) -> AddCommentPayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Comment:
            return await comments.add_comment(
                session, viewer, pk_of(input.case_id, "Case"), input.body
            )

        outcome = await perform(info, work)
        comment = Comment.from_row(outcome.value) if outcome.value else None
        return AddCommentPayload(comment=comment, user_errors=outcome.errors)
