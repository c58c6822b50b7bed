"""Reply templates: listing, filling in for a case, saving and deleting."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain import reply_templates
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import our_pk, to_global_id
from graph.resolvers.mutation import perform
from graph.types.base import UserError
from graph.types.reply_template import ReplyTemplate

Info = strawberry.Info[Context, None]


@strawberry.input(description="Without an id a new template of mine; with one, saved whole.")
class SaveReplyTemplateInput:
    id: strawberry.ID | None = None
    name: str
    body: str
    shared: bool | None = False


@strawberry.type
class SaveReplyTemplatePayload:
    reply_template: ReplyTemplate | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeleteReplyTemplateInput:
    id: strawberry.ID


@strawberry.type
class DeleteReplyTemplatePayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReplyTemplateQuery:
    @strawberry.field(description="My reply templates and my tenant's shared ones, by name.")
    async def reply_templates(self, info: Info) -> list[ReplyTemplate]:
        viewer = info.context.staff()
        rows: Sequence[models.ReplyTemplate] = await info.context.scope.read(
            lambda session: reply_templates.templates_of(session, viewer)
        )
        return [ReplyTemplate.from_row(row) for row in rows]

    @strawberry.field(description="The template filled in for the case, as it would be sent.")
    async def render_reply_template(
        self, info: Info, template_id: strawberry.ID, case_id: strawberry.ID
    ) -> str:
        viewer = info.context.staff()
        text: str = await info.context.scope.read(
            lambda session: reply_templates.render_for_case(
                session,
                viewer,
                our_pk(template_id, "ReplyTemplate"),
                our_pk(case_id, "Case"),
            )
        )
        return text


@strawberry.type
class ReplyTemplateMutation:
    @strawberry.mutation(description="A new reply template of mine (no id) or one saved whole.")
    async def save_reply_template(
        self, info: Info, input: SaveReplyTemplateInput
    ) -> SaveReplyTemplatePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.ReplyTemplate:
            return await reply_templates.save_reply_template(
                session,
                viewer,
                id=our_pk(input.id, "ReplyTemplate"),
                name=input.name,
                body=input.body,
                shared=bool(input.shared),
            )

        outcome = await perform(info, work)
        row = ReplyTemplate.from_row(outcome.value) if outcome.value else None
        return SaveReplyTemplatePayload(reply_template=row, user_errors=outcome.errors)

    @strawberry.mutation(description="Deletes a reply template of mine (admins: a shared one).")
    async def delete_reply_template(
        self, info: Info, input: DeleteReplyTemplateInput
    ) -> DeleteReplyTemplatePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> int:
            return await reply_templates.delete_reply_template(
                session, viewer, our_pk(input.id, "ReplyTemplate")
            )

        outcome = await perform(info, work)
        deleted = (
            strawberry.ID(to_global_id("ReplyTemplate", outcome.value)) if outcome.value else None
        )
        return DeleteReplyTemplatePayload(deleted_id=deleted, user_errors=outcome.errors)
