"""Groups of staff users: the list, and the admin's mutations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain import groups
from domain.cases.event_log import Actor
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import our_pk, pk_of, to_global_id
from graph.resolvers.mutation import Outcome, perform
from graph.types.base import NOT_SENT, UserError, sent
from graph.types.user import Group

Info = strawberry.Info[Context, None]


@strawberry.input
class CreateGroupInput:
    name: str
    member_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.type
class CreateGroupPayload:
    group: Group | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Only the fields sent change.")
class UpdateGroupInput:
    id: strawberry.ID
    name: str | None = NOT_SENT


@strawberry.type
class UpdateGroupPayload:
    group: Group | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SetGroupMembersInput:
    group_id: strawberry.ID
    member_ids: list[strawberry.ID] = strawberry.field(
        description="Every member of the group from now on; those not listed leave it."
    )


@strawberry.type
class SetGroupMembersPayload:
    group: Group | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeleteGroupInput:
    id: strawberry.ID


@strawberry.type
class DeleteGroupPayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class GroupQuery:
    @strawberry.field(description="Every group of my tenant, by name.")
    async def groups(self, info: Info) -> list[Group]:
        info.context.staff()
        rows = await info.context.scope.read(
            lambda s: s.scalars(select(models.Group).order_by(models.Group.name, models.Group.id))
        )
        return [Group.from_row(r) for r in rows]


async def _group_as_admin(
    info: Info, work: Callable[[AsyncSession, DomainViewer], Awaitable[models.Group]]
) -> Outcome[models.Group]:
    async def admin_work(session: AsyncSession, viewer: DomainViewer) -> models.Group:
        viewer.require_admin()
        return await work(session, viewer)

    return await perform(info, admin_work)


def _group(outcome: Outcome[models.Group]) -> Group | None:
    return Group.from_row(outcome.value) if outcome.value else None


def _member_ids(ids: list[strawberry.ID]) -> list[int | None]:
    return [pk_of(i, "User") for i in ids]


@strawberry.type
class GroupMutation:
    @strawberry.mutation(description="Admin: a new group with these members.")
    async def create_group(self, info: Info, input: CreateGroupInput) -> CreateGroupPayload:
        members = _member_ids(input.member_ids)
        outcome = await _group_as_admin(
            info, lambda s, _v: groups.create_group(s, input.name, members)
        )
        return CreateGroupPayload(group=_group(outcome), user_errors=outcome.errors)

    @strawberry.mutation(description="Admin: renames a group.")
    async def update_group(self, info: Info, input: UpdateGroupInput) -> UpdateGroupPayload:
        group_id = our_pk(input.id, "Group")
        outcome = await _group_as_admin(
            info, lambda s, _v: groups.update_group(s, group_id, sent(input.name))
        )
        return UpdateGroupPayload(group=_group(outcome), user_errors=outcome.errors)

    @strawberry.mutation(description="Admin: replaces the members of a group.")
    async def set_group_members(
        self, info: Info, input: SetGroupMembersInput
    ) -> SetGroupMembersPayload:
        group_id = our_pk(input.group_id, "Group")
        members = _member_ids(input.member_ids)
        outcome = await _group_as_admin(
            info, lambda s, _v: groups.set_group_members(s, group_id, members)
        )
        return SetGroupMembersPayload(group=_group(outcome), user_errors=outcome.errors)

    @strawberry.mutation(
        description="Admin: deletes a group; every case it was assigned to loses it, and logs that."
    )
    async def delete_group(self, info: Info, input: DeleteGroupInput) -> DeleteGroupPayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> int:
            viewer.require_admin()
            return await groups.delete_group(session, Actor.of(viewer), our_pk(input.id, "Group"))

        outcome = await perform(info, work)
        deleted = strawberry.ID(to_global_id("Group", outcome.value)) if outcome.value else None
        return DeleteGroupPayload(deleted_id=deleted, user_errors=outcome.errors)
