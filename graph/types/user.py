"""Staff users and groups."""

from __future__ import annotations

import strawberry

from db import models
from domain.errors import NotAllowed
from domain.viewer import Role
from graph.ids import to_global_id
from graph.types.base import Node

strawberry.enum(Role, name="Role")


# Fields whose answer depends on who asks beyond the kind of viewer and role: a user's own
# e-mail settings, readable by that user and administrators. A live event's rendering is
# shared only among subscribers who would get the same answer (graph/live/subscriber.py).
OWN_OR_ADMIN_FIELDS = ("emailOnMention", "emailOnAssignment")


@strawberry.type
class User(Node):
    name: str
    email: str
    handle: str
    role: Role
    phone: str | None
    active: bool = strawberry.field(
        description="False once deactivated: they cannot sign in, nor be assigned."
    )
    pk: strawberry.Private[int]
    on_mention: strawberry.Private[bool]
    on_assignment: strawberry.Private[bool]

    def _own_or_admin(self, info: strawberry.Info) -> None:
        viewer = info.context.staff()
        if viewer.user_id != self.pk and not viewer.is_admin:
            raise NotAllowed("Only the user and administrators may read their e-mail settings.")

    @strawberry.field(description="Whether a mention is e-mailed to them (the user and admins).")
    def email_on_mention(self, info: strawberry.Info) -> bool:
        self._own_or_admin(info)
        return self.on_mention

    @strawberry.field(
        description="Whether being assigned a case is e-mailed to them (the user and admins)."
    )
    def email_on_assignment(self, info: strawberry.Info) -> bool:
        self._own_or_admin(info)
        return self.on_assignment

    @classmethod
    def from_row(cls, row: models.User) -> User:
        return cls(
            id=strawberry.ID(to_global_id("User", row.id)),
            pk=row.id,
            name=row.name,
            email=row.email,
            handle=row.handle,
            role=Role(row.role),
            phone=row.phone,
            active=row.active,
            on_mention=row.email_on_mention,
            on_assignment=row.email_on_assignment,
        )


@strawberry.type
class Group(Node):
    name: str
    pk: strawberry.Private[int]

    @strawberry.field
    async def members(self, info: strawberry.Info) -> list[User]:
        rows = await info.context.scope.loaders.members_by_group_id.load(self.pk)
        return [User.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: models.Group) -> Group:
        return cls(id=strawberry.ID(to_global_id("Group", row.id)), pk=row.id, name=row.name)
