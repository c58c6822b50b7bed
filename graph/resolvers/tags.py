"""Tags: setting a case's, and the tenant's tags in use for suggestions and filters."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from domain.cases import tags
from domain.cases.event_log import Actor
from domain.search_patterns import like_pattern
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.errors import bad_input
from graph.ids import our_pk
from graph.resolvers.cases import UpdateCasePayload, case_payload
from graph.types.tags import TagCount

Info = strawberry.Info[Context, None]


@strawberry.input
class SetCaseTagsInput:
    case_id: strawberry.ID
    tags: list[str] = strawberry.field(
        description="The case's tags, in order: trimmed, 1-50 characters, each once in any "
        "letter case; one another case has keeps its spelling."
    )


@strawberry.type
class TagQuery:
    @strawberry.field(
        description="My tenant's tags in use, most used first, then by name; `search` matches "
        "by substring in any letter case."
    )
    async def tags(
        self, info: Info, search: str | None = None, first: int | None = None
    ) -> list[TagCount]:
        info.context.staff()
        limit = DEFAULT_PAGE_SIZE if first is None else first
        if not 0 <= limit <= MAX_PAGE_SIZE:
            raise bad_input(f"`first` must be between 0 and {MAX_PAGE_SIZE}.")
        pattern = like_pattern(search.strip()) if search and search.strip() else None
        found = await info.context.scope.read(lambda s: tags.tags_in_use(s, pattern, limit))
        return [TagCount.from_domain(f) for f in found]


@strawberry.type
class TagMutation:
    @strawberry.mutation(description="Replaces the case's tags; logs TAGS_CHANGED on a change.")
    async def set_case_tags(self, info: Info, input: SetCaseTagsInput) -> UpdateCasePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Case:
            return await tags.set_case_tags(
                session, Actor.of(viewer), our_pk(input.case_id, "Case"), input.tags
            )

        return await case_payload(info, work)
