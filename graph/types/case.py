"""Cases with their tasks, forms, custom fields, internal comments and event log.

Every relation resolves through the operation's DataLoaders, so a page of cases costs
the same few statements whatever its size.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import strawberry

from db import models
from db.models import utcnow
from domain.cases.links import LinkKind
from domain.cases.tabs import check_conversations_tab, check_events_tab
from domain.custom_fields import FieldKind, definitions_of
from graph.connections import oldest_first_under
from graph.ids import to_global_id
from graph.types.attachment import Attachment
from graph.types.base import Connection, GeoPoint, Node
from graph.types.conversation import ConversationMessage, case_messages
from graph.types.customer import CaseObject, Contact, Customer, Project
from graph.types.settings import CasePriority, CaseStatus, CaseType
from graph.types.sla import CaseSla
from graph.types.sms import SmsMessage, case_sms_messages
from graph.types.user import Group, User

if TYPE_CHECKING:
    from graph.loaders import Loaders

strawberry.enum(LinkKind, name="CaseLinkKind")


def _loaders(info: strawberry.Info) -> Loaders:
    loaders: Loaders = info.context.scope.loaders
    return loaders


async def _user(info: strawberry.Info, pk: int | None) -> User | None:
    row = await _loaders(info).by_id(models.User).load(pk) if pk is not None else None
    return User.from_row(row) if row else None


@strawberry.type
class CustomFieldValue:
    key: str
    label: str
    value: str | None = strawberry.field(description="As text: numbers, ISO dates, true/false.")


@strawberry.type
class FieldChange:
    field: str
    from_: str | None = strawberry.field(name="from")
    to: str | None


@strawberry.type
class CaseEvent(Node):
    at: datetime
    action: str
    actor_name: str
    changes: list[FieldChange]
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.CaseEvent) -> CaseEvent:
        return cls(
            id=strawberry.ID(to_global_id("CaseEvent", row.id)),
            pk=row.id,
            at=row.at,
            action=row.action,
            actor_name=row.actor_name,
            changes=field_changes(row.changes),
        )


def field_changes(raw: list[dict[str, Any]] | None) -> list[FieldChange]:
    """An event's changes as stored (`[{"field", "from", "to"}]`)."""
    return [FieldChange(field=c["field"], from_=c.get("from"), to=c.get("to")) for c in raw or []]


@strawberry.type
class Task(Node):
    title: str
    done: bool
    assignee_pk: strawberry.Private[int | None]
    pk: strawberry.Private[int]

    @strawberry.field
    async def assignee(self, info: strawberry.Info) -> User | None:
        return await _user(info, self.assignee_pk)

    @classmethod
    def from_row(cls, row: models.Task) -> Task:
        return cls(
            id=strawberry.ID(to_global_id("Task", row.id)),
            pk=row.id,
            title=row.title,
            done=row.done,
            assignee_pk=row.assignee_id,
        )


@strawberry.type
class FormAnswer:
    key: str
    label: str
    kind: FieldKind
    required: bool
    options: list[str]
    value: str | None


@strawberry.type
class FormInstance(Node):
    name: str
    answers: list[FormAnswer] = strawberry.field(description="One per question, in order.")
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.FormInstance) -> FormInstance:
        return cls(
            id=strawberry.ID(to_global_id("FormInstance", row.id)),
            pk=row.id,
            name=row.name,
            answers=form_answers(row.questions, row.answers),
        )


def form_answers(questions: Any, answers: dict[str, Any] | None) -> list[FormAnswer]:
    """One answer per question of a form, in order; unanswered ones with no value."""
    given = answers or {}
    return [
        FormAnswer(
            key=q.key,
            label=q.label,
            kind=q.kind,
            required=q.required,
            options=list(q.options),
            value=given.get(q.key),
        )
        for q in definitions_of(questions)
    ]


@strawberry.type(description="An internal comment; never visible in the customer portal.")
class Comment(Node):
    body: str
    created_at: datetime
    pk: strawberry.Private[int]
    author_pk: strawberry.Private[int]
    case_pk: strawberry.Private[int]

    @strawberry.field
    async def author(self, info: strawberry.Info) -> User:
        row = await _loaders(info).by_id(models.User).load(self.author_pk)
        assert row is not None, "a comment's author is a foreign key"
        return User.from_row(row)

    @strawberry.field(description="Users mentioned with @handle, by name.")
    async def mentions(self, info: strawberry.Info) -> list[User]:
        rows = await _loaders(info).mentions_by_comment_id.load(self.pk)
        return [User.from_row(r) for r in rows]

    @strawberry.field(description="Files attached to the comment, oldest first.")
    async def attachments(self, info: strawberry.Info) -> list[Attachment]:
        rows = await _loaders(info).attachments_by_comment_id.load(self.pk)
        return [Attachment.from_row(r) for r in rows]

    @strawberry.field
    async def case(self, info: strawberry.Info) -> Case:
        row = await _loaders(info).by_id(models.Case).load(self.case_pk)
        assert row is not None, "a comment's case is a foreign key"
        return Case.from_row(row)

    @classmethod
    def from_row(cls, row: models.Comment) -> Comment:
        return cls(
            id=strawberry.ID(to_global_id("Comment", row.id)),
            pk=row.id,
            author_pk=row.author_id,
            case_pk=row.case_id,
            body=row.body,
            created_at=row.created_at,
        )


@strawberry.type
class Case(Node):
    number: int
    title: str
    description: str | None
    deadline: datetime | None
    visible_in_portal: bool
    location: GeoPoint | None
    color: str | None
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Case]

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> Customer | None:
        pk = self.row.customer_id
        row = await _loaders(info).by_id(models.Customer).load(pk) if pk else None
        return Customer.from_row(row) if row else None

    @strawberry.field
    async def contact(self, info: strawberry.Info) -> Contact | None:
        pk = self.row.contact_id
        row = await _loaders(info).by_id(models.Contact).load(pk) if pk else None
        return Contact.from_row(row) if row else None

    @strawberry.field(name="object")
    async def case_object(self, info: strawberry.Info) -> CaseObject | None:
        pk = self.row.object_id
        row = await _loaders(info).by_id(models.CaseObject).load(pk) if pk else None
        return CaseObject.from_row(row) if row else None

    @strawberry.field
    async def project(self, info: strawberry.Info) -> Project | None:
        pk = self.row.project_id
        row = await _loaders(info).by_id(models.Project).load(pk) if pk else None
        return Project.from_row(row) if row else None

    @strawberry.field
    async def assigned_users(self, info: strawberry.Info) -> list[User]:
        rows = await _loaders(info).assigned_users_by_case_id.load(self.row.id)
        return [User.from_row(r) for r in rows]

    @strawberry.field
    async def assigned_groups(self, info: strawberry.Info) -> list[Group]:
        rows = await _loaders(info).assigned_groups_by_case_id.load(self.row.id)
        return [Group.from_row(r) for r in rows]

    @strawberry.field
    async def responsible(self, info: strawberry.Info) -> User | None:
        return await _user(info, self.row.responsible_id)

    @strawberry.field
    async def created_by(self, info: strawberry.Info) -> User | None:
        return await _user(info, self.row.created_by_id)

    @strawberry.field(name="type")
    async def case_type(self, info: strawberry.Info) -> CaseType | None:
        row = await self._type_row(info)
        return CaseType.from_row(row) if row else None

    @strawberry.field
    async def priority(self, info: strawberry.Info) -> CasePriority | None:
        pk = self.row.priority_id
        row = await _loaders(info).by_id(models.CasePriority).load(pk) if pk else None
        return CasePriority.from_row(row) if row else None

    @strawberry.field
    async def status(self, info: strawberry.Info) -> CaseStatus:
        row = await _loaders(info).by_id(models.CaseStatus).load(self.row.status_id)
        assert row is not None, "a case's status is a foreign key"
        return CaseStatus.from_row(row)

    @strawberry.field(description="The fields of the case's type, in order, with their values.")
    async def custom_fields(self, info: strawberry.Info) -> list[CustomFieldValue]:
        case_type = await self._type_row(info)
        values = self.row.custom_fields or {}
        return [
            CustomFieldValue(key=d.key, label=d.label, value=values.get(d.key))
            for d in definitions_of(case_type.fields if case_type else None)
        ]

    @strawberry.field(description="In the order set; each as the tenant spells it.")
    async def tags(self, info: strawberry.Info) -> list[str]:
        tags: list[str] = await _loaders(info).tags_by_case_id.load(self.row.id)
        return tags

    @strawberry.field
    async def tasks(self, info: strawberry.Info) -> list[Task]:
        rows = await _loaders(info).tasks_by_case_id.load(self.row.id)
        return [Task.from_row(r) for r in rows]

    @strawberry.field
    async def forms(self, info: strawberry.Info) -> list[FormInstance]:
        rows = await _loaders(info).forms_by_case_id.load(self.row.id)
        return [FormInstance.from_row(r) for r in rows]

    @strawberry.field(
        description="The event log, oldest first. FORBIDDEN while the events tab is off."
    )
    async def events(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[CaseEvent]:
        check_events_tab(await _loaders(info).module_settings.load(self.row.tenant_id))
        event = models.CaseEvent
        return await oldest_first_under(
            info,
            "Case.events",
            event,
            event.case_id,
            self.row.id,
            CaseEvent.from_row,
            first=first,
            after=after,
        )

    @strawberry.field(description="Internal comments, oldest first; never shown in the portal.")
    async def comments(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Comment]:
        comment = models.Comment
        return await oldest_first_under(
            info,
            "Case.comments",
            comment,
            comment.case_id,
            self.row.id,
            Comment.from_row,
            first=first,
            after=after,
        )

    @strawberry.field(
        description="The customer conversation, oldest first. FORBIDDEN while the "
        "customer-conversations tab is off."
    )
    async def messages(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[ConversationMessage]:
        settings = await _loaders(info).module_settings.load(self.row.tenant_id)
        check_conversations_tab(settings, portal=False)
        return await case_messages(info, self.row.id, first, after)

    @strawberry.field(
        description="Every file on the case, its comments' and messages' too, oldest first."
    )
    async def attachments(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Attachment]:
        attachment = models.Attachment
        return await oldest_first_under(
            info,
            "Case.attachments",
            attachment,
            attachment.case_id,
            self.row.id,
            Attachment.from_row,
            first=first,
            after=after,
        )

    @strawberry.field(description="The SMS sent on the case, oldest first.")
    async def sms_messages(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[SmsMessage]:
        return await case_sms_messages(info, self.row, first, after)

    @strawberry.field(description="The linked cases, by their number; `kind` as this one sees it.")
    async def links(self, info: strawberry.Info) -> list[CaseLink]:
        found = await _loaders(info).links_by_case_id.load(self.row.id)
        return [CaseLink(kind=kind, case=Case.from_row(row)) for kind, row in found]

    @strawberry.field(description="The case this one was merged into; null unless merged.")
    async def merged_into(self, info: strawberry.Info) -> Case | None:
        pk = self.row.merged_into_id
        row = await _loaders(info).by_id(models.Case).load(pk) if pk else None
        return Case.from_row(row) if row else None

    @strawberry.field(description="Its service level; null when no SLA policy applies.")
    def sla(self) -> CaseSla | None:
        return CaseSla.maybe(self.row, utcnow())

    async def _type_row(self, info: strawberry.Info) -> models.CaseType | None:
        pk = self.row.type_id
        row: models.CaseType | None = (
            await _loaders(info).by_id(models.CaseType).load(pk) if pk else None
        )
        return row

    @classmethod
    def from_row(cls, row: models.Case) -> Case:
        return cls(
            id=strawberry.ID(to_global_id("Case", row.id)),
            row=row,
            number=row.number,
            title=row.title,
            description=row.description,
            deadline=row.deadline,
            visible_in_portal=row.visible_in_portal,
            location=GeoPoint.maybe(row.lat, row.lng),
            color=row.color,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="A link to another case.")
class CaseLink:
    kind: LinkKind
    case: Case = strawberry.field(description="The other case.")
