"""How each field of the planned types reads from its database row.

Normal execution builds a Strawberry object per row (`from_row`) and resolves relations
through DataLoaders; a read plan reads the same values straight from the columns of a few
statements. Each field here says which columns it needs and how its value follows from them
(`Value`), or which related rows it is (`Joined`, `Listed`, `Children`, `Paged`), giving
exactly what the Strawberry object's attribute or resolver would; the values are then
serialized by the schema's own scalars. A field not declared here sends the document to
normal execution. `tests/test_planned_reads.py` selects every field declared here and
compares the response with normal execution's byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any

from db import models
from domain.conversations import Direction
from domain.custom_fields import definitions_of
from domain.deadline_reminders import reminder_phase
from domain.notifications import NotificationKind
from domain.sla.alerts import sla_target
from domain.viewer import Role
from graph.ids import to_global_id
from graph.types.base import GeoPoint
from graph.types.case import field_changes, form_answers
from graph.types.settings import CustomFieldDefinition


@dataclass(frozen=True)
class Value:
    """A field whose value is `read(*columns)`, or the one column as it is."""

    columns: tuple[str, ...]
    read: Callable[..., Any] | None = None


@dataclass(frozen=True)
class Joined:
    """A single related row, outer-joined through this row's `foreign_key`."""

    foreign_key: str
    type_name: str


@dataclass(frozen=True)
class Listed:
    """Related rows through a link table (`parent_key` to this row, `link_key` to them), read
    for every parent in one statement, in the order their DataLoader gives (by name, then id)."""

    type_name: str
    link: type[models.Base]
    link_key: str
    parent_key: str = "case_id"


@dataclass(frozen=True)
class Children:
    """Rows whose `parent_key` is this row's id, in `order`, for every parent in one statement.
    With `archived_argument`, the field's `includeArchived` argument (false by default) says
    whether archived ones are included."""

    type_name: str
    parent_key: str
    order: tuple[str, ...]
    archived_argument: bool = False


class Guard(Enum):
    """A rule the field's resolver checks before it reads; when it refuses, normal execution
    answers the document (with the resolver's own error)."""

    EVENTS_TAB = "events tab"
    CONVERSATIONS_TAB = "customer-conversations tab"
    PORTAL_CONVERSATIONS_TAB = "customer-conversations tab, as the portal is told of it"


@dataclass(frozen=True)
class Paged:
    """A connection of rows whose `parent_key` is this row's id, ordered by `order` (the last
    one unique), paged with `first` and `after` for every parent in one statement."""

    type_name: str
    parent_key: str
    order: tuple[str, ...] = ("id",)
    archived_argument: bool = False
    guard: Guard | None = None
    descending: bool = False


@dataclass(frozen=True)
class Through:
    """`read` of one column of a single related row (joined through `foreign_key`)."""

    foreign_key: str
    type_name: str
    column: str
    read: Callable[[Any], Any]


@dataclass(frozen=True)
class TagNames:
    """The case's tags (names, in its order), read for the whole page in one statement."""


@dataclass(frozen=True)
class CustomFields:
    """The case's values for its type's fields, in the type's order (needs the type's row)."""

    relation: str = "type"


Spec = Value | Joined | Through | Listed | Children | Paged | TagNames | CustomFields


@dataclass(frozen=True)
class RowType:
    model: type[models.Base]
    fields: dict[str, Spec]
    # Fields whose resolvers refuse anyone but staff: a portal plan leaves them to them.
    staff_only: frozenset[str] = frozenset()


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


def _archived() -> Value:
    return Value(("archived_at",), lambda at: at is not None)


def _cases(parent_key: str) -> Paged:
    """The cases under a customer, object or project, newest first, as the table orders them."""
    return Paged("Case", parent_key, ("created_at", "id"), descending=True)


def _by_name(type_name: str, parent_key: str) -> Paged:
    return Paged(type_name, parent_key, ("name", "id"), archived_argument=True)


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
            "mergedInto": Joined("merged_into_id", "Case"),
            "tasks": Children("Task", "case_id", ("position", "id")),
            "forms": Children("FormInstance", "case_id", ("id",)),
            "messages": Paged("ConversationMessage", "case_id", guard=Guard.CONVERSATIONS_TAB),
            "attachments": Paged("Attachment", "case_id"),
            "events": Paged("CaseEvent", "case_id", guard=Guard.EVENTS_TAB),
            "comments": Paged("Comment", "case_id"),
        },
    ),
    "Task": RowType(
        models.Task,
        {
            "id": _id("Task"),
            "title": _column("title"),
            "done": _column("done"),
            "assignee": Joined("assignee_id", "User"),
        },
    ),
    "FormInstance": RowType(
        models.FormInstance,
        {
            "id": _id("FormInstance"),
            "name": _column("name"),
            "answers": Value(("questions", "answers"), form_answers),
        },
    ),
    "ConversationMessage": RowType(
        models.ConversationMessage,
        {
            "id": _id("ConversationMessage"),
            "body": _column("body"),
            "direction": Value(("direction",), Direction),
            "createdAt": _column("created_at"),
            "authorName": _column("author_name"),
            "senderAddress": _column("sender_address"),
            "fromUnknownSender": Value(("from_unknown_sender",), bool),
            "attachments": Children("Attachment", "message_id", ("id",)),
        },
        staff_only=frozenset({"senderAddress", "fromUnknownSender"}),
    ),
    # A case as its customer sees it: nothing internal is declared here.
    "PortalCase": RowType(
        models.Case,
        {
            "id": _id("PortalCase"),
            "number": _column("number"),
            "title": _column("title"),
            "createdAt": _column("created_at"),
            "statusName": Through("status_id", "CaseStatus", "name", lambda n: n or ""),
            "messages": Paged(
                "ConversationMessage", "case_id", guard=Guard.PORTAL_CONVERSATIONS_TAB
            ),
        },
    ),
    # `url` is signed for each request (services.attachment_links): normal execution's.
    "Attachment": RowType(
        models.Attachment,
        {
            "id": _id("Attachment"),
            "filename": _column("filename"),
            "contentType": _column("content_type"),
            "size": _column("size"),
            "createdAt": _column("created_at"),
            "uploadedByName": _column("uploaded_by_name"),
        },
    ),
    "CaseEvent": RowType(
        models.CaseEvent,
        {
            "id": _id("CaseEvent"),
            "at": _column("at"),
            "action": _column("action"),
            "actorName": _column("actor_name"),
            "changes": Value(("changes",), field_changes),
        },
    ),
    "Comment": RowType(
        models.Comment,
        {
            "id": _id("Comment"),
            "body": _column("body"),
            "createdAt": _column("created_at"),
            "author": Joined("author_id", "User"),
            "case": Joined("case_id", "Case"),
            "mentions": Listed("User", models.CommentMention, "user_id", "comment_id"),
            "attachments": Children("Attachment", "comment_id", ("id",)),
        },
    ),
    "Notification": RowType(
        models.Notification,
        {
            "id": _id("Notification"),
            "kind": Value(("kind",), NotificationKind),
            "createdAt": _column("created_at"),
            "readAt": _column("read_at"),
            "reminderPhase": Value(("kind", "dedupe_key"), reminder_phase),
            "slaTarget": Value(("kind", "dedupe_key"), sla_target),
            "actor": Joined("actor_id", "User"),
            "case": Joined("case_id", "Case"),
            "comment": Joined("comment_id", "Comment"),
            "message": Joined("message_id", "ConversationMessage"),
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
            archived=_archived(),
            contacts=Children("Contact", "customer_id", ("name", "id"), archived_argument=True),
            objects=_by_name("CaseObject", "customer_id"),
            projects=_by_name("Project", "customer_id"),
            cases=_cases("customer_id"),
        ),
    ),
    "Contact": RowType(
        models.Contact,
        _named(
            "Contact",
            email=_column("email"),
            phone=_column("phone"),
            portalAccess=Value(("portal_password_hash",), lambda hashed: hashed is not None),
            archived=_archived(),
            customer=Joined("customer_id", "Customer"),
        ),
    ),
    "CaseObject": RowType(
        models.CaseObject,
        _named(
            "CaseObject",
            address=_column("address"),
            location=_location(),
            archived=_archived(),
            customer=Joined("customer_id", "Customer"),
            cases=_cases("object_id"),
        ),
    ),
    "Project": RowType(
        models.Project,
        _named(
            "Project",
            archived=_archived(),
            customer=Joined("customer_id", "Customer"),
            cases=_cases("project_id"),
        ),
    ),
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
    "Group": RowType(
        models.Group,
        _named("Group", members=Listed("User", models.GroupMember, "user_id", "group_id")),
    ),
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
