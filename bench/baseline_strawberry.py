"""The framework floor: the table-view page from a bare Strawberry app over in-memory data.

No database, no auth, no loaders: plain attributes on dataclass-like Strawberry types, so
what a request costs here is Strawberry, Starlette and uvicorn alone. Served by
`bench/table_view.py` with uvicorn:  uvicorn bench.baseline_strawberry:app
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from enum import Enum

import strawberry
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

from bench import swedish


@strawberry.enum
class CaseScope(Enum):
    MINE = "MINE"
    ALL = "ALL"


@strawberry.enum
class CaseOrderField(Enum):
    NUMBER = "NUMBER"
    TITLE = "TITLE"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    DEADLINE = "DEADLINE"
    PRIORITY = "PRIORITY"
    STATUS = "STATUS"
    TYPE = "TYPE"
    CUSTOMER = "CUSTOMER"


@strawberry.enum
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class BoundingBox:
    south: float
    west: float
    north: float
    east: float


@strawberry.input
class CaseFilter:
    status_ids: list[strawberry.ID] | None = None
    type_ids: list[strawberry.ID] | None = None
    priority_ids: list[strawberry.ID] | None = None
    customer_ids: list[strawberry.ID] | None = None
    assignee_user_ids: list[strawberry.ID] | None = None
    assignee_group_ids: list[strawberry.ID] | None = None
    open: bool | None = None
    deadline_before: datetime | None = None
    deadline_after: datetime | None = None
    within: BoundingBox | None = None


@strawberry.input
class CaseOrder:
    field: CaseOrderField
    direction: OrderDirection


@strawberry.type
class Customer:
    id: strawberry.ID
    name: str


@strawberry.type
class Contact:
    id: strawberry.ID
    name: str


@strawberry.type
class CaseObject:
    id: strawberry.ID
    name: str


@strawberry.type
class User:
    id: strawberry.ID
    name: str


@strawberry.type
class Group:
    id: strawberry.ID
    name: str


@strawberry.type
class CaseType:
    id: strawberry.ID
    name: str
    color: str | None


@strawberry.type
class CaseStatus:
    id: strawberry.ID
    name: str
    color: str | None


@strawberry.type
class CasePriority:
    id: strawberry.ID
    name: str
    color: str | None


@strawberry.type
class CustomFieldValue:
    key: str
    label: str
    value: str | None


@strawberry.type
class Case:
    id: strawberry.ID
    number: int
    title: str
    customer: Customer | None
    contact: Contact | None
    object: CaseObject | None
    type: CaseType | None
    status: CaseStatus
    priority: CasePriority | None
    assigned_users: list[User]
    assigned_groups: list[Group]
    responsible: User | None
    deadline: datetime | None
    custom_fields: list[CustomFieldValue]


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class CaseEdge:
    cursor: str
    node: Case


@strawberry.type
class CaseConnection:
    edges: list[CaseEdge]
    page_info: PageInfo
    total_count: int


def _page(size: int = 100) -> list[Case]:
    rng = random.Random(7)
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    users = [User(id=strawberry.ID(f"VXNlcjo{i}"), name=swedish.person(rng)) for i in range(40)]
    groups = [
        Group(id=strawberry.ID(f"R3JvdXA6{i}"), name=f"Service {c[0]}")
        for i, c in enumerate(swedish.CITIES[:8])
    ]
    statuses = [
        CaseStatus(id=strawberry.ID(f"U3RhdHVz{i}"), name=n, color="#2f80ed")
        for i, n in enumerate(["Ny", "Pågående", "Väntar på kund"])
    ]
    priorities = [
        CasePriority(id=strawberry.ID(f"UHJpbw{i}"), name=n, color="#56ccf2")
        for i, n in enumerate(["Låg", "Normal", "Hög", "Akut"])
    ]
    types = [
        CaseType(id=strawberry.ID(f"VHlwZQ{i}"), name=n, color=None)
        for i, n in enumerate(["Felanmälan", "Service", "Offert"])
    ]
    cases = []
    for i in range(size):
        city, _, _ = swedish.city(rng)
        problem, _ = rng.choice(swedish.PROBLEMS)
        obj = f"{rng.choice(swedish.OBJECT_KINDS)} {rng.choice(swedish.STREETS)} {i}"
        assigned = rng.sample(users, rng.randint(0, 3))
        cases.append(
            Case(
                id=strawberry.ID(f"Q2FzZTo{i:06d}"), number=100_000 - i, title=f"{problem} – {obj}",
                customer=Customer(id=strawberry.ID(f"Q3VzdDo{i}"), name=swedish.customer_name(rng, city, i)),
                contact=Contact(id=strawberry.ID(f"Q29udDo{i}"), name=swedish.person(rng)),
                object=CaseObject(id=strawberry.ID(f"T2JqOg{i}"), name=obj),
                type=rng.choice(types), status=rng.choice(statuses), priority=rng.choice(priorities),
                assigned_users=assigned, assigned_groups=rng.sample(groups, rng.randint(0, 1)),
                responsible=rng.choice(assigned) if assigned else None,
                deadline=now + timedelta(hours=i * 7),
                custom_fields=[
                    CustomFieldValue(key=f"falt{k}", label=f"Fält {k}", value=rng.choice(["Plan 2", "E17", "true", "12", None]))
                    for k in range(5)
                ],
            )
        )  # fmt: skip
    return cases


CASES = _page()


@strawberry.type
class Query:
    @strawberry.field
    def cases(
        self,
        scope: CaseScope = CaseScope.ALL,
        filter: CaseFilter | None = None,
        search: str | None = None,
        order_by: list[CaseOrder] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CaseConnection:
        page = CASES[: min(first or 20, 100)]
        edges = [CaseEdge(cursor=f"c{c.number}", node=c) for c in page]
        end = edges[-1].cursor if edges else None
        info = PageInfo(
            has_next_page=True, has_previous_page=False, start_cursor=None, end_cursor=end
        )
        return CaseConnection(edges=edges, page_info=info, total_count=100_000)


schema = strawberry.Schema(
    query=Query, extensions=[lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)]
)
app = GraphQL[None, None](schema, graphql_ide=None)
