"""`commentAdded`: a case's new comments, live, resumable with `after`."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from db import models
from domain import channels
from domain.cases.access import may_see
from domain.errors import NotFound
from graph.context import Context
from graph.ids import pk_of
from graph.live.follow import case_rows, follow
from graph.live.subscriber import Access
from graph.types.case import Comment

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
        after_pk = pk_of(after, "Comment") if after is not None else None
        if after is not None and after_pk is None:
            raise NotFound("`after` is not a comment id.")
        case_pk = pk_of(case_id, "Case")
        # Read with every case asked for at the same moment (a reconnect storm resubscribes
        # thousands at once), then checked for this viewer.
        case = None if case_pk is None else await info.context.services.event_reads.case(case_pk)
        if case is None or not may_see(viewer, case):
            raise NotFound("The case was not found.")
        if case.merged_into_id is not None:
            return  # its stream ended with the merge: complete at once, `after` or not

        rows = follow(
            info.context,
            channels.case_comments(viewer.tenant_id, case.id),
            case_rows(models.Comment, case.id),
            after=after_pk,
            access=Access(case_id=case.id),
            to_payload=Comment.from_row,
        )
        async for payload in rows:
            yield payload
