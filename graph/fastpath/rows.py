"""How each field of the table view's types reads from its database row.

Normal execution builds a Strawberry object per row (`from_row`) and resolves relations
through DataLoaders; the fast path reads the same values straight from the columns of one
joined statement. Each field here says which columns it needs and how its value follows
from them, giving exactly what the Strawberry object's attribute would hold; the values
are then serialized by the schema's own scalars. A field not declared here sends the
document to normal execution. `tests/test_table_view_fast_path.py` selects every field
declared here and compares the response with normal execution's byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from db import models
from domain.custom_fields import definitions_of
from domain.viewer import Role
from graph.ids import to_global_id
from graph.types.base import GeoPoint
from graph.types.settings import CustomFieldDefinition


@dataclass(frozen=True)
class Value:
    """A field whose value is `read(*columns)`, or the one column as it is."""

    columns: tuple[str, ...]
    read: Callable[..., Any] | None = None


@dataclass(frozen=True)
class Joined:
    """A single related row, outer-joined to the page through the case's `foreign_key`."""

    foreign_key: str
    type_name: str


@dataclass(frozen=True)
class Listed:
    """Related rows through a link table, read for the whole page in one statement, in the
    order their DataLoader gives (by name, then id)."""

    type_name: str
    link: type[models.Base]
    link_key: str


@dataclass(frozen=True)
class TagNames:
    """The case's tags (names, in its order), read for the whole page in one statement."""


@dataclass(frozen=True)
class CustomFields:
    """The case's values for its type's fields, in the type's order (needs the type's row)."""

    relation: str = "type"


Spec = Value | Joined | Listed | TagNames | CustomFields


@dataclass(frozen=True)
class RowType:
    model: type[models.Base]
    fields: dict[str, Spec]


def _column(name: str) -> Value:
    return Value((name,))


def _id(type_name: str) -> Value:
    return Value(("id",), partial(to_global_id, type_name))


def _location() -> Value:
    return Value(("lat", "lng"), GeoPoint.maybe)


def _field_definitions(raw: Any) -> list[CustomFieldDefinition]:
    return [CustomFieldDefinition.from_domain(d) for d in definitions_of(raw)]


def _named(type_name: str, **more: Spec) -> dict[str, Spec]:
    return {"id": _id(type_name), "name": _column("name"), **more}


ROW_TYPES: dict[str, RowType] = {
    "Case": RowType(
        models.Case,
        {
            "id": _id("Case"),
            "number": _column("number"),
            "title": _column("title"),
            "description": _column("description"),
            "deadline": _column("deadline"),
            "visibleInPortal": _column("visible_in_portal"),
            "location": _location(),
            "color": _column("color"),
            "createdAt": _column("created_at"),
            "updatedAt": _column("updated_at"),
            "customer": Joined("customer_id", "Customer"),
            "contact": Joined("contact_id", "Contact"),
            "object": Joined("object_id", "CaseObject"),
            "project": Joined("project_id", "Project"),
            "responsible": Joined("responsible_id", "User"),
            "createdBy": Joined("created_by_id", "User"),
            "type": Joined("type_id", "CaseType"),
            "priority": Joined("priority_id", "CasePriority"),
            "status": Joined("status_id", "CaseStatus"),
            "assignedUsers": Listed("User", models.CaseAssignedUser, "user_id"),
            "assignedGroups": Listed("Group", models.CaseAssignedGroup, "group_id"),
            "customFields": CustomFields(),
            "tags": TagNames(),
        },
    ),
    "Customer": RowType(
        models.Customer,
        _named(
            "Customer",
            orgNumber=_column("org_number"),
            email=_column("email"),
            phone=_column("phone"),
            address=_column("address"),
            location=_location(),
        ),
    ),
    "Contact": RowType(
        models.Contact,
        _named(
            "Contact",
            email=_column("email"),
            phone=_column("phone"),
            portalAccess=Value(("portal_password_hash",), lambda hashed: hashed is not None),
        ),
    ),
    "CaseObject": RowType(
        models.CaseObject, _named("CaseObject", address=_column("address"), location=_location())
    ),
    "Project": RowType(models.Project, _named("Project")),
    "User": RowType(
        models.User,
        _named(
            "User",
            email=_column("email"),
            handle=_column("handle"),
            role=Value(("role",), Role),
            phone=_column("phone"),
            active=_column("active"),
        ),
    ),
    "Group": RowType(models.Group, _named("Group")),
    "CaseType": RowType(
        models.CaseType,
        _named(
            "CaseType",
            color=_column("color"),
            active=_column("active"),
            fields=Value(("fields",), _field_definitions),
        ),
    ),
    "CasePriority": RowType(
        models.CasePriority,
        _named(
            "CasePriority", color=_column("color"), order=_column("order"), active=_column("active")
        ),
    ),
    "CaseStatus": RowType(
        models.CaseStatus,
        _named(
            "CaseStatus",
            color=_column("color"),
            order=_column("order"),
            active=_column("active"),
            closed=_column("closed"),
        ),
    ),
}
