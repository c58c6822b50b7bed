"""Linking, unlinking and merging cases."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain.cases import links, merging
from domain.cases.event_log import Actor
from domain.cases.links import LinkKind
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import our_pk
from graph.resolvers.cases import UpdateCasePayload, case_payload

Info = strawberry.Info[Context, None]


@strawberry.input
class LinkCasesInput:
    case_id: strawberry.ID
    other_case_id: strawberry.ID
    kind: LinkKind = strawberry.field(description="As the case `caseId` sees the other.")


@strawberry.input
class UnlinkCasesInput:
    case_id: strawberry.ID
    other_case_id: strawberry.ID


@strawberry.input
class MergeCasesInput:
    source_id: strawberry.ID
    target_id: strawberry.ID


@strawberry.type
class CaseLinkMutation:
    @strawberry.mutation(description="Links two cases; a pair's earlier link is replaced.")
    async def link_cases(self, info: Info, input: LinkCasesInput) -> UpdateCasePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Case:
            return await links.link_cases(
                session,
                Actor.of(viewer),
                our_pk(input.case_id, "Case"),
                our_pk(input.other_case_id, "Case"),
                input.kind,
            )

        return await case_payload(info, work)

    @strawberry.mutation(description="Removes the link between two cases, if there is one.")
    async def unlink_cases(self, info: Info, input: UnlinkCasesInput) -> UpdateCasePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Case:
            return await links.unlink_cases(
                session,
                Actor.of(viewer),
                our_pk(input.case_id, "Case"),
                our_pk(input.other_case_id, "Case"),
            )

        return await case_payload(info, work)

    @strawberry.mutation(
        description="Moves the source's comments, messages, tasks and assignees to the "
        "target and closes the source; returns the target."
    )
    async def merge_cases(self, info: Info, input: MergeCasesInput) -> UpdateCasePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Case:
            return await merging.merge_cases(
                session,
                Actor.of(viewer),
                our_pk(input.source_id, "Case"),
                our_pk(input.target_id, "Case"),
            )

        return await case_payload(info, work)
