"""Staff users: the list, and the admin's mutations that add, change and deactivate them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.pagination import SortKey
from domain import deactivation, people
from domain.search_patterns import like_pattern
from domain.user_changes import UserChanges, change_user
from domain.viewer import Role
from domain.viewer import Viewer as DomainViewer
from graph.connections import connection
from graph.context import Context
from graph.ids import our_pk
from graph.resolvers.mutation import Outcome, perform
from graph.resolvers.taken_emails import within_taken_email_limit
from graph.types.base import NOT_SENT, Connection, UserError, sent
from graph.types.user import User

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


@strawberry.input(description="Only the fields sent change; null clears the phone number.")
class UpdateUserInput:
    id: strawberry.ID
    name: str | None = NOT_SENT
    email: str | None = NOT_SENT
    handle: str | None = NOT_SENT
    phone: str | None = NOT_SENT
    role: Role | None = NOT_SENT


@strawberry.type
class UpdateUserPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeactivateUserInput:
    id: strawberry.ID


@strawberry.type
class DeactivateUserPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ReactivateUserInput:
    id: strawberry.ID


@strawberry.type
class ReactivateUserPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="Staff users of my tenant, by name; active ones unless asked.")
    async def users(
        self,
        info: Info,
        search: str | None = None,
        include_inactive: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[User]:
        info.context.staff()
        statement, keys = users_query(search, include_inactive)
        return await connection(info, statement, keys, User.from_row, first=first, after=after)


def users_query(
    search: str | None, include_inactive: bool
) -> tuple[Select[*tuple[Any, ...]], list[SortKey]]:
    """The statement and sort keys of `users`."""
    statement = select(models.User, models.User.name, models.User.id)
    if not include_inactive:
        statement = statement.where(models.User.active.is_(True))
    if search:
        pattern = like_pattern(search)
        statement = statement.where(
            func.lower(models.User.name).like(pattern, escape="\\")
            | func.lower(models.User.email).like(pattern, escape="\\")
            | models.User.handle_key.like(pattern, escape="\\")
        )
    return statement, [SortKey(models.User.name), SortKey(models.User.id)]


async def _as_admin(
    info: Info, work: Callable[[AsyncSession], Awaitable[models.User]]
) -> Outcome[models.User]:
    async def admin_work(session: AsyncSession, viewer: DomainViewer) -> models.User:
        viewer.require_admin()
        return await work(session)

    return await perform(info, admin_work)


def _user(outcome: Outcome[models.User]) -> User | None:
    return User.from_row(outcome.value) if outcome.value else None


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="Admin: a new staff user of my tenant.")
    async def create_user(self, info: Info, input: CreateUserInput) -> CreateUserPayload:
        new = people.NewUser(
            email=input.email,
            name=input.name,
            password=input.password,
            handle=input.handle,
            role=input.role,
            phone=input.phone,
        )
        # A member is refused before counting: only an answer about the address counts.
        info.context.staff().require_admin()
        outcome = await within_taken_email_limit(
            info, lambda: _as_admin(info, lambda s: people.create_user(s, new))
        )
        return CreateUserPayload(user=_user(outcome), user_errors=outcome.errors)

    @strawberry.mutation(description="Admin: changes the fields sent of a staff user.")
    async def update_user(self, info: Info, input: UpdateUserInput) -> UpdateUserPayload:
        changes = UserChanges(
            name=sent(input.name),
            email=sent(input.email),
            handle=sent(input.handle),
            phone=sent(input.phone),
            role=sent(input.role),
        )
        user_id = our_pk(input.id, "User")

        async def mutation() -> Outcome[models.User]:
            return await _as_admin(info, lambda s: change_user(s, user_id, changes))

        info.context.staff().require_admin()
        # Only a new address may be answered with "taken", so only then is it counted.
        if input.email is NOT_SENT:
            outcome = await mutation()
        else:
            outcome = await within_taken_email_limit(info, mutation)
        return UpdateUserPayload(user=_user(outcome), user_errors=outcome.errors)

    @strawberry.mutation(
        description="Admin: the user can no longer sign in; their sign-ins end at once."
    )
    async def deactivate_user(
        self, info: Info, input: DeactivateUserInput
    ) -> DeactivateUserPayload:
        user_id = our_pk(input.id, "User")
        outcome = await _as_admin(info, lambda s: deactivation.deactivate_user(s, user_id))
        return DeactivateUserPayload(user=_user(outcome), user_errors=outcome.errors)

    @strawberry.mutation(description="Admin: a deactivated user may sign in again.")
    async def reactivate_user(
        self, info: Info, input: ReactivateUserInput
    ) -> ReactivateUserPayload:
        user_id = our_pk(input.id, "User")
        outcome = await _as_admin(info, lambda s: deactivation.reactivate_user(s, user_id))
        return ReactivateUserPayload(user=_user(outcome), user_errors=outcome.errors)
