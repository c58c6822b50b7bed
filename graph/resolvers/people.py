"""Staff users and groups: lists and the admin's mutations."""

from __future__ import annotations

import strawberry
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.pagination import SortKey
from domain import people
from domain.viewer import Role
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import pk_of
from graph.resolvers.listing import connection, like_pattern
from graph.resolvers.mutation import perform
from graph.resolvers.taken_emails import within_taken_email_limit
from graph.types.base import Connection, UserError
from graph.types.user import Group, User

Info = strawberry.Info[Context, None]


@strawberry.input
class CreateUserInput:
    email: str
    name: str
    password: str
    handle: str | None = None
    role: Role = Role.MEMBER
    phone: str | None = None


@strawberry.type
class CreateUserPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateGroupInput:
    name: str
    member_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.type
class CreateGroupPayload:
    group: Group | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="Staff users of my tenant, by name.")
    async def users(
        self,
        info: Info,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[User]:
        info.context.staff()
        statement = select(models.User, models.User.name, models.User.id)
        if search:
            pattern = like_pattern(search)
            statement = statement.where(
                func.lower(models.User.name).like(pattern, escape="\\")
                | func.lower(models.User.email).like(pattern, escape="\\")
                | models.User.handle_key.like(pattern, escape="\\")
            )
        keys = [SortKey(models.User.name), SortKey(models.User.id)]
        return await connection(info, statement, keys, User.from_row, first=first, after=after)

    @strawberry.field(description="Every group of my tenant, by name.")
    async def groups(self, info: Info) -> list[Group]:
        info.context.staff()
        rows = await info.context.scope.read(
            lambda s: s.scalars(select(models.Group).order_by(models.Group.name, models.Group.id))
        )
        return [Group.from_row(r) for r in rows]


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="Admin: a new staff user of my tenant.")
    async def create_user(self, info: Info, input: CreateUserInput) -> CreateUserPayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.User:
            viewer.require_admin()
            return await people.create_user(
                session,
                people.NewUser(
                    email=input.email,
                    name=input.name,
                    password=input.password,
                    handle=input.handle,
                    role=input.role,
                    phone=input.phone,
                ),
            )

        # A member is refused before counting: only an answer about the address counts.
        info.context.staff().require_admin()
        outcome = await within_taken_email_limit(info, lambda: perform(info, work))
        user = User.from_row(outcome.value) if outcome.value else None
        return CreateUserPayload(user=user, user_errors=outcome.errors)

    @strawberry.mutation(description="Admin: a new group with these members.")
    async def create_group(self, info: Info, input: CreateGroupInput) -> CreateGroupPayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Group:
            viewer.require_admin()
            member_ids = [pk_of(i, "User") for i in input.member_ids]
            return await people.create_group(session, input.name, member_ids)

        outcome = await perform(info, work)
        group = Group.from_row(outcome.value) if outcome.value else None
        return CreateGroupPayload(group=group, user_errors=outcome.errors)
