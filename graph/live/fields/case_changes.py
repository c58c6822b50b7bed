"""`caseChanged`: the live table view; every change of a case in my view, resumable with `after`."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain.cases.change_matching import compile_matcher
from domain.cases.table import CaseScope
from domain.errors import NotFound
from graph.context import Context
from graph.ids import pk_of
from graph.live.case_feed import FeedView, group_ids_of
from graph.live.follow import follow_changes
from graph.resolvers.case_table import CaseFilterInput
from graph.resolvers.case_table import _filter as case_filter
from graph.types.case_change import CaseChange

Info = strawberry.Info[Context, None]


@strawberry.type
class CaseChangeSubscription:
    @strawberry.subscription(
        description=(
            "A change of each case that is in the view before or after it (one leaving gets "
            "a last UPDATED); `after` resumes from a change id."
        )
    )
    async def case_changed(
        self,
        info: Info,
        scope: CaseScope | None = CaseScope.ALL,
        filter: CaseFilterInput | None = None,
        after: strawberry.ID | None = None,
    ) -> AsyncGenerator[CaseChange, None]:
        viewer = info.context.staff()
        user_id = viewer.staff_user_id
        after_pk = pk_of(after, "CaseChange") if after is not None else None
        if after is not None:
            known = after_pk is not None and (
                await info.context.scope.loaders.by_id(models.CaseChange).load(after_pk)
            )
            if not known:
                raise NotFound("`after` is not a change of a case of yours.")
        matcher = compile_matcher(scope or CaseScope.ALL, case_filter(filter), user_id)
        groups: set[int] = set()
        if matcher.mine_of is not None:

            async def read_groups(session: AsyncSession) -> set[int]:
                return (await group_ids_of(session, [user_id]))[user_id]

            groups = await info.context.scope.read(read_groups)
        view = FeedView(matcher, frozenset(groups))
        async for change in follow_changes(info.context, view, after=after_pk):
            yield change
