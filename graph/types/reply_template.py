"""Reply templates: ready texts for the customer conversation."""

from __future__ import annotations

import strawberry

from db import models
from graph.ids import to_global_id
from graph.types.base import Node
from graph.types.user import User


@strawberry.type(
    description="A ready text for the customer conversation; its placeholders "
    "({{case.number}}, {{case.title}}, {{customer.name}}, {{contact.name}}, {{user.name}}) "
    "are filled in for a case when it is used."
)
class ReplyTemplate(Node):
    name: str
    body: str
    shared: bool = strawberry.field(description="Every staff user of the tenant may use it.")
    owner_pk: strawberry.Private[int]

    @strawberry.field
    async def owner(self, info: strawberry.Info) -> User:
        row = await info.context.scope.loaders.by_id(models.User).load(self.owner_pk)
        assert row is not None, "a template's owner is a foreign key"
        return User.from_row(row)

    @classmethod
    def from_row(cls, row: models.ReplyTemplate) -> ReplyTemplate:
        return cls(
            id=strawberry.ID(to_global_id("ReplyTemplate", row.id)),
            name=row.name,
            body=row.body,
            shared=row.shared,
            owner_pk=row.owner_id,
        )
