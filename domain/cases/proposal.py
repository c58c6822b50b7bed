"""Checking a registration or a change against the tenant's case-module settings.

`propose` turns what a client sent into the case's next state, or raises UserErrors with
every problem at once. Hidden fields are ignored; at registration, fields not given take
their defaults (a default that is no longer usable, e.g. an inactive status, is skipped).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    CaseObject,
    CasePriority,
    CaseStatus,
    CaseType,
    Contact,
    Customer,
    FormTemplate,
    Group,
    Project,
    TaskTemplate,
    User,
)
from domain import validation
from domain.absent import ABSENT
from domain.cases.defaults import value_of
from domain.cases.location import LocationSource
from domain.cases.settings import (
    BOOLEAN_FIELDS,
    ID_FIELDS,
    ID_LIST_FIELDS,
    INPUT_NAME,
    CaseField,
    ModuleSettings,
)
from domain.cases.state import ATTRIBUTE, CaseInput, CaseState
from domain.custom_fields import clean_values, definitions_of
from domain.errors import Problems, UserErrorCode

Row = TypeVar("Row")

# The input name (and userError path) of every CaseInput attribute.
PATH: dict[str, str] = {ATTRIBUTE[f]: INPUT_NAME[f] for f in CaseField} | {
    "project_id": "projectId",
    "task_template_ids": "taskTemplateIds",
    "form_template_ids": "formTemplateIds",
    "custom_fields": "customFields",
}
_LABEL = {f: f.value.replace("_", " ").capitalize() for f in CaseField}


@dataclass
class Proposal:
    state: CaseState
    send_confirmation: bool
    contact: Contact | None
    task_templates: list[TaskTemplate]
    form_templates: list[FormTemplate]
    # The rows checked on the way. The session's identity map holds rows only weakly; kept
    # here, the event log and the search text find their names there instead of reading
    # them again.
    checked: list[Any]


async def _usable_default(
    session: AsyncSession, field: CaseField, value: Any, checked: list[Any]
) -> bool:
    """Whether a default still names rows of ours that are in use."""
    model = ID_FIELDS.get(field) or ID_LIST_FIELDS.get(field)
    if model is None:
        return True
    for id_ in [value] if field in ID_FIELDS else value:
        row = await session.get(model, id_)
        if row is None or getattr(row, "active", True) is False:
            return False
        checked.append(row)
    return True


async def _with_defaults(
    session: AsyncSession,
    settings: ModuleSettings,
    sent: CaseInput,
    now: datetime,
    checked: list[Any],
) -> CaseInput:
    """At registration a field not given (absent or null) takes its default."""
    changes: dict[str, Any] = {}
    for field, setting in settings.fields.items():
        attribute = ATTRIBUTE[field]
        if getattr(sent, attribute) not in (ABSENT, None):
            continue
        changes[attribute] = ABSENT
        if setting.default is None:
            continue
        value = value_of(field, setting.default, now)
        if value is not None and await _usable_default(session, field, value, checked):
            changes[attribute] = value
    return replace(sent, **changes)


class _Review:
    def __init__(
        self,
        session: AsyncSession,
        settings: ModuleSettings,
        current: CaseState,
        sent: CaseInput,
        registering: bool,
    ) -> None:
        self.session = session
        self.settings = settings
        self.current = current
        self.sent = sent
        self.registering = registering
        self.problems = Problems()
        self.state = current.copy()
        self.checked: list[Any] = []

    async def one(self, model: type[Row], attribute: str, what: str) -> Row | None:
        """The row `attribute` names after the change; sets it on the state."""
        sent = getattr(self.sent, attribute)
        value = getattr(self.current, attribute) if sent is ABSENT else sent
        row = await self.session.get(model, value) if value is not None else None
        self.checked.append(row)
        if sent is ABSENT:
            return row
        if value is not None and row is None:
            self.problems.not_found(PATH[attribute], what)
        elif row is not None and value != getattr(self.current, attribute):
            if getattr(row, "active", True) is False:
                self.problems.invalid(PATH[attribute], f"{what} is no longer in use.")
            elif getattr(row, "archived", False):
                self.problems.invalid(PATH[attribute], f"{what} is archived.")
        setattr(self.state, attribute, value if row is not None else None)
        return row

    async def many(self, model: Any, attribute: str, what: str) -> None:
        value = getattr(self.sent, attribute)
        if value is ABSENT:
            return
        ids = list(dict.fromkeys(value or ()))
        rows = (await self.session.scalars(select(model).where(model.id.in_(ids)))).all()
        found = {r.id: r for r in rows}
        self.checked += rows
        before = set(getattr(self.current, attribute))
        if len(found) != len(ids):
            self.problems.not_found(PATH[attribute], what)
        elif any(not getattr(r, "active", True) and r.id not in before for r in rows):
            self.problems.invalid(PATH[attribute], f"{what} is no longer active.")
        setattr(self.state, attribute, tuple(sorted(found)))

    async def templates(self, model: Any, attribute: str, enabled: bool, what: str) -> list[Any]:
        ids = list(dict.fromkeys(getattr(self.sent, attribute) or ()))
        if not ids:
            return []
        if not enabled:
            self.problems.add(PATH[attribute], f"{what}s are turned off.", UserErrorCode.DISABLED)
            return []
        rows = list((await self.session.scalars(select(model).where(model.id.in_(ids)))).all())
        if len(rows) != len(ids):
            self.problems.not_found(PATH[attribute], what)
        return sorted(rows, key=lambda r: ids.index(r.id))

    def scalars(self) -> None:
        sent, state, problems = self.sent, self.state, self.problems
        if sent.title is not ABSENT:
            state.title = (
                validation.text(problems, "title", sent.title, "Title", max_length=500) or ""
            )
        if sent.description is not ABSENT:
            state.description = validation.text(
                problems,
                "description",
                sent.description,
                "Description",
                max_length=20_000,
                multiline=True,
            )
        if sent.color is not ABSENT:
            state.color = validation.color(problems, "color", sent.color)
        if sent.deadline is not ABSENT:
            state.deadline = validation.moment(problems, "deadline", sent.deadline, "The deadline")
        if sent.visible_in_portal is not ABSENT:
            state.visible_in_portal = bool(sent.visible_in_portal)
        if sent.location is not ABSENT:
            point = sent.location
            state.location = validation.location(problems, "location", *point) if point else None
            state.location_source = LocationSource.INPUT

    async def links(self, retake_location: bool) -> None:
        """Customer, contact, object and project, which must agree with each other; a
        location not given is taken from the object or the customer."""
        state, problems = self.state, self.problems
        if retake_location:
            state.location = None
        customer = await self.one(Customer, "customer_id", "The customer")
        contact = await self.one(Contact, "contact_id", "The contact")
        obj = await self.one(CaseObject, "object_id", "The object")
        project = await self.one(Project, "project_id", "The project")
        if problems.has("customerId"):
            return
        if state.customer_id is None:
            # On an object, from a project, or via the contact: the case takes their customer.
            owners = [r.customer_id for r in (obj, project, contact) if r is not None]
            state.customer_id = next((c for c in owners if c is not None), None)
            if state.customer_id is not None:
                customer = await self.session.get(Customer, state.customer_id)
                self._archived_owner(customer, (contact, obj, project))
        if any(self.sent.sent(a) for a in ("customer_id", "contact_id", "object_id", "project_id")):
            for row, path, what in ((obj, "objectId", "object"), (project, "projectId", "project")):
                if row is not None and row.customer_id not in (None, state.customer_id):
                    problems.invalid(path, f"The {what} belongs to another customer.")
            if contact is not None and contact.customer_id != state.customer_id:
                problems.invalid("contactId", "The contact belongs to another customer.")
        if state.location is None:
            for place, source in (
                (obj, LocationSource.OBJECT),
                (customer, LocationSource.CUSTOMER),
            ):
                if place is not None and place.lat is not None and place.lng is not None:
                    state.location = (place.lat, place.lng)
                    state.location_source = source
                    break

    def _archived_owner(self, customer: Customer | None, rows: tuple[Any, ...]) -> None:
        """A case cannot come to an archived customer through its contact, object or project
        either (their own archived flag aside): the one that brought it is INVALID."""
        if customer is None or not customer.archived or customer.id == self.current.customer_id:
            return
        for row, attribute in zip(rows, ("contact_id", "object_id", "project_id"), strict=True):
            if row is not None and self.sent.sent(attribute) and row.customer_id == customer.id:
                if not self.problems.has(PATH[attribute]):
                    self.problems.invalid(PATH[attribute], "Its customer is archived.")
                return

    async def custom_fields(self, case_type: CaseType | None) -> None:
        sent = self.sent.custom_fields
        type_changed = self.state.type_id != self.current.type_id
        if self.problems.has("typeId") or not (
            self.registering or sent is not ABSENT or type_changed
        ):
            return
        self.state.custom_fields = clean_values(
            self.problems,
            "customFields",
            definitions_of(case_type.fields if case_type else None),
            self.current.custom_fields,
            sent or (),
        )

    def required(self) -> None:
        for field in CaseField:
            attribute, path = ATTRIBUTE[field], INPUT_NAME[field]
            if field in BOOLEAN_FIELDS or not self.settings.required(field):
                continue
            if not self.registering and not self.sent.sent(attribute):
                continue
            if getattr(self.state, attribute) in (None, "", ()) and not self.problems.has(path):
                self.problems.required(path, _LABEL[field])

    async def fallback_status(self) -> None:
        if self.state.status_id is not None or self.problems.has("statusId"):
            return
        first = await self.session.scalar(
            select(CaseStatus.id)
            .where(CaseStatus.active.is_(True))
            .order_by(CaseStatus.closed, CaseStatus.order, CaseStatus.id)
            .limit(1)
        )
        if first is None:
            self.problems.invalid("statusId", "There is no active status to give the case.")
        self.state.status_id = first


async def propose(
    session: AsyncSession,
    settings: ModuleSettings,
    current: CaseState,
    given: CaseInput,
    *,
    registering: bool,
    now: datetime,
    honour_hidden: bool = True,
    retake_location: bool = False,
) -> Proposal:
    """With `retake_location`, a location not sent is taken anew from the links."""
    sent = given
    if honour_hidden:
        hidden = {ATTRIBUTE[f]: ABSENT for f in CaseField if not settings.visible(f)}
        sent = replace(sent, **hidden)
    asked_to_confirm = bool(sent.send_confirmation)
    checked: list[Any] = []
    if registering:
        sent = await _with_defaults(session, settings, sent, now, checked)
    review = _Review(session, settings, current, sent, registering)
    review.checked += checked
    review.scalars()
    await review.links(retake_location and given.location is ABSENT)
    await review.many(User, "assigned_user_ids", "An assigned user")
    await review.many(Group, "assigned_group_ids", "An assigned group")
    await review.one(User, "responsible_id", "The responsible user")
    await review.one(CasePriority, "priority_id", "The priority")
    await review.one(CaseStatus, "status_id", "The status")
    case_type = await review.one(CaseType, "type_id", "The case type")
    await review.custom_fields(case_type)
    review.required()
    await review.fallback_status()
    tabs = settings.tabs
    tasks = await review.templates(TaskTemplate, "task_template_ids", tabs.tasks, "Task template")
    forms = await review.templates(FormTemplate, "form_template_ids", tabs.forms, "Form template")
    send = bool(sent.send_confirmation)
    contact = (
        await session.get(Contact, review.state.contact_id) if review.state.contact_id else None
    )
    if send and (contact is None or not contact.email):
        # Asked for, it is an error; by default, it is sent only where it can be.
        if asked_to_confirm:
            review.problems.invalid(
                "sendConfirmation", "A confirmation needs a contact with an e-mail address."
            )
        send = False
    review.problems.raise_if_any()
    return Proposal(review.state, send, contact, tasks, forms, review.checked)
