"""Attaching files to a case or one of its comments (staff)."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload

from db import models
from domain import attachments
from domain.attachments import StoredFile
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import our_pk, pk_of
from graph.types.attachment import Attachment
from graph.types.base import UserError
from graph.uploads import perform_with_uploads

Info = strawberry.Info[Context, None]


@strawberry.input
class AddAttachmentsInput:
    case_id: strawberry.ID
    files: list[Upload]
    comment_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the case's comments, to attach the files to it."
    )


@strawberry.type
class AddAttachmentsPayload:
    attachments: list[Attachment] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AttachmentMutation:
    @strawberry.mutation(
        description="Files on the case (or one of its comments); internal, never in the portal. "
        "Sent as a multipart request with an `Apollo-Require-Preflight` header."
    )
    async def add_attachments(
        self, info: Info, input: AddAttachmentsInput
    ) -> AddAttachmentsPayload:
        async def work(
            session: AsyncSession, viewer: DomainViewer, files: list[StoredFile]
        ) -> list[models.Attachment]:
            return await attachments.add_attachments(
                session,
                viewer,
                pk_of(input.case_id, "Case"),
                our_pk(input.comment_id, "Comment"),
                files,
            )

        outcome = await perform_with_uploads(info, input.files, "files", work)
        return AddAttachmentsPayload(
            attachments=[Attachment.from_row(r) for r in outcome.value or []],
            user_errors=outcome.errors,
        )
