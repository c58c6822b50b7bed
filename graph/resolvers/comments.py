"""Internal comments: adding one, and a case's comments oldest first."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload

from db import models
from domain import comments
from domain.attachments import StoredFile
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import pk_of
from graph.types.base import UserError
from graph.types.case import Comment
from graph.uploads import perform_with_uploads

Info = strawberry.Info[Context, None]


@strawberry.input
class AddCommentInput:
    case_id: strawberry.ID
    body: str
    attachments: list[Upload] | None = strawberry.field(
        default=None, description="Files for the comment: internal, never in the portal."
    )


@strawberry.type
class AddCommentPayload:
    comment: Comment | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CommentMutation:
    @strawberry.mutation(description="An internal comment; @handle mentions notify those users.")
    async def add_comment(self, info: Info, input: AddCommentInput) -> AddCommentPayload:
        async def work(
            session: AsyncSession, viewer: DomainViewer, files: list[StoredFile]
        ) -> models.Comment:
            return await comments.add_comment(
                session, viewer, pk_of(input.case_id, "Case"), input.body, files
            )

        outcome = await perform_with_uploads(info, input.attachments, "attachments", work)
        comment = Comment.from_row(outcome.value) if outcome.value else None
        return AddCommentPayload(comment=comment, user_errors=outcome.errors)
