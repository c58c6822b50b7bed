"""A change of a case, as the live table view (`caseChanged`) and `node` give it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from db import models
from domain.cases.change_feed import CaseChangeKind
from graph.ids import to_global_id
from graph.types.base import Node
from graph.types.case import Case

strawberry.enum(CaseChangeKind, name="CaseChangeKind")


@strawberry.type(description="A commit changed, registered or deleted this case.")
class CaseChange(Node):
    kind: CaseChangeKind
    at: datetime
    pk: strawberry.Private[int]
    case_pk: strawberry.Private[int]

    @strawberry.field(description="The case's id; stays when the case is deleted.")
    def case_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Case", self.case_pk))

    @strawberry.field(description="The case as it is when delivered; null once deleted.")
    async def case(self, info: strawberry.Info) -> Case | None:
        row = await info.context.scope.loaders.by_id(models.Case).load(self.case_pk)
        return Case.from_row(row) if row is not None else None

    @classmethod
    def from_row(cls, row: models.CaseChange) -> CaseChange:
        return cls(
            id=strawberry.ID(to_global_id("CaseChange", row.id)),
            pk=row.id,
            case_pk=row.case_id,
            kind=CaseChangeKind(row.kind),
            at=row.at,
        )
