"""`commentAdded`: a case's new comments, live, resumable with `after`."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence

import strawberry
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain import channels, signin
from domain.case_access import visible_case
from domain.errors import NotFound
from graph.context import Context
from graph.ids import pk_of
from graph.subscriptions.live import stream_rows
from graph.types.comment import Comment

Info = strawberry.Info[Context, None]


@strawberry.type
class CommentSubscription:
    @strawberry.subscription(
        description="New comments on a case; `after` resumes from a comment id."
    )
    async def comment_added(
        self, info: Info, case_id: strawberry.ID, after: strawberry.ID | None = None
    ) -> AsyncGenerator[Comment, None]:
        viewer = info.context.staff()
        case_pk = pk_of(case_id, "Case")
        after_pk = pk_of(after, "Comment") if after is not None else None
        if after is not None and after_pk is None:
            raise NotFound("`after` is not a comment id.")
        case = await info.context.scope.read(lambda s: visible_case(s, viewer, case_pk))
        if case is None:
            raise NotFound("The case was not found.")

        async def rows_after(
            s: AsyncSession, after_id: int | None, limit: int
        ) -> Sequence[models.Comment]:
            statement = select(models.Comment).where(models.Comment.case_id == case.id)
            if after_id is not None:
                statement = statement.where(models.Comment.id > after_id)
            return (await s.scalars(statement.order_by(models.Comment.id).limit(limit))).all()

        async def rows_by_id(s: AsyncSession, ids: Sequence[int]) -> Sequence[models.Comment]:
            statement = select(models.Comment).where(
                models.Comment.case_id == case.id, models.Comment.id.in_(ids)
            )
            return (await s.scalars(statement.order_by(models.Comment.id))).all()

        async def newest(s: AsyncSession) -> int | None:
            return await s.scalar(
                select(func.max(models.Comment.id)).where(models.Comment.case_id == case.id)
            )

        async def still_allowed(s: AsyncSession) -> bool:
            if not await signin.token_is_valid(s, viewer.token_id):
                return False
            return await visible_case(s, viewer, case.id) is not None

        rows = stream_rows(
            info.context,
            channels.case_comments(viewer.tenant_id, case.id),
            after=after_pk,
            rows_after=rows_after,
            rows_by_id=rows_by_id,
            newest=newest,
            still_allowed=still_allowed,
        )
        async for row in rows:
            yield Comment.from_row(row)
