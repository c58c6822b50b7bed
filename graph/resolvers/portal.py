"""The customer portal: the contact's own visible cases, and writing to us on one."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload

from db import models
from db.pagination import SortKey
from domain import conversations
from domain.attachments import StoredFile
from domain.cases import portal
from domain.errors import NotAllowed
from domain.viewer import Viewer as DomainViewer
from graph.connections import connection
from graph.context import Context
from graph.ids import pk_of
from graph.resolvers.auth import ChangePasswordInput, ChangePasswordPayload, change_own_password
from graph.types.base import Connection, UserError
from graph.types.conversation import ConversationMessage
from graph.types.portal import PortalCase
from graph.uploads import perform_with_uploads

Info = strawberry.Info[Context, None]


@strawberry.input
class PortalSendMessageInput:
    case_id: strawberry.ID = strawberry.field(description="A PortalCase id.")
    body: str
    attachments: list[Upload] | None = strawberry.field(
        default=None, description="Files for the staff, kept with the message."
    )


@strawberry.type
class PortalSendMessagePayload:
    message: ConversationMessage | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PortalQuery:
    @strawberry.field(description="My customer's cases shown in the portal, newest first.")
    async def portal_cases(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[PortalCase]:
        statement, keys = portal_cases_query(info.context.signed_in())
        return await connection(
            info, statement, keys, PortalCase.from_row, first=first, after=after
        )

    @strawberry.field(description="One of my customer's cases by its PortalCase id.")
    async def portal_case(self, info: Info, id: strawberry.ID) -> PortalCase | None:
        viewer = info.context.signed_in()
        row = await info.context.scope.read(
            lambda s: portal.portal_case(s, viewer, pk_of(id, "PortalCase"))
        )
        return PortalCase.from_row(row) if row is not None else None


@strawberry.type
class PortalMutation:
    @strawberry.mutation(description="Writes to the staff on one of my cases.")
    async def portal_send_message(
        self, info: Info, input: PortalSendMessageInput
    ) -> PortalSendMessagePayload:
        async def work(
            session: AsyncSession, viewer: DomainViewer, files: list[StoredFile]
        ) -> models.ConversationMessage:
            case_pk = pk_of(input.case_id, "PortalCase")
            return await conversations.send_portal_message(
                session, viewer, case_pk, input.body, files
            )

        outcome = await perform_with_uploads(
            info, input.attachments, "attachments", work, staff_only=False
        )
        message = ConversationMessage.from_row(outcome.value) if outcome.value else None
        return PortalSendMessagePayload(message=message, user_errors=outcome.errors)

    @strawberry.mutation(
        description="Changes my portal password; my other portal sessions are signed out."
    )
    async def portal_change_password(
        self, info: Info, input: ChangePasswordInput
    ) -> ChangePasswordPayload:
        viewer = info.context.signed_in()
        if viewer.contact_id is None:
            raise NotAllowed("Staff change their password with changePassword.")
        return await change_own_password(info, input, viewer, f"contact-{viewer.contact_id}")


def portal_cases_query(viewer: DomainViewer) -> tuple[Select[*tuple[Any, ...]], list[SortKey]]:
    """The statement and sort keys of `portalCases`: the contact's visible cases, newest first."""
    case = models.Case
    statement = select(case, case.created_at, case.id).where(portal.visible_cases(viewer))
    return statement, [SortKey(case.created_at, descending=True), SortKey(case.id, descending=True)]
