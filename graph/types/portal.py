"""What the customer portal sees of a case: by construction, nothing internal."""

from __future__ import annotations

from datetime import datetime

import strawberry

from db import models
from domain.cases.tabs import check_conversations_tab
from graph.ids import to_global_id
from graph.types.base import Connection, Node
from graph.types.conversation import ConversationMessage, case_messages


@strawberry.type(
    description="A case as its customer sees it in the portal; its id is not the staff Case id."
)
class PortalCase(Node):
    number: int
    title: str
    created_at: datetime
    pk: strawberry.Private[int]
    status_pk: strawberry.Private[int]
    tenant_pk: strawberry.Private[int]

    @strawberry.field
    async def status_name(self, info: strawberry.Info) -> str:
        status = await info.context.scope.loaders.by_id(models.CaseStatus).load(self.status_pk)
        return status.name if status is not None else ""

    @strawberry.field(
        description="The conversation with us, oldest first. FORBIDDEN while conversations "
        "are turned off."
    )
    async def messages(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[ConversationMessage]:
        settings = await info.context.scope.loaders.module_settings.load(self.tenant_pk)
        check_conversations_tab(settings, portal=True)
        return await case_messages(info, self.pk, first, after)

    @classmethod
    def from_row(cls, row: models.Case) -> PortalCase:
        return cls(
            id=strawberry.ID(to_global_id("PortalCase", row.id)),
            pk=row.id,
            status_pk=row.status_id,
            tenant_pk=row.tenant_id,
            number=row.number,
            title=row.title,
            created_at=row.created_at,
        )
