"""Staff users and groups."""

from __future__ import annotations

import strawberry

from db import models
from domain.viewer import Role
from graph.ids import to_global_id
from graph.types.base import Node

strawberry.enum(Role, name="Role")


@strawberry.type
class User(Node):
    name: str
    email: str
    handle: str
    role: Role
    phone: str | None
    pk: strawberry.Private[int]

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
