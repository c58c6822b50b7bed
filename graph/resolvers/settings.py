"""The case module's settings: read by staff, changed by administrators."""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain.cases import options as case_options
from domain.cases.settings import CaseField, ModuleSettings, load_settings
from domain.custom_fields import FieldDefinition, FieldKind
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import our_pk
from graph.resolvers.mutation import perform
from graph.types.base import NOT_SENT, UserError, sent
from graph.types.settings import (
    CaseModuleSettings,
    CasePriority,
    CaseStatus,
    CaseType,
    FormTemplate,
    TaskTemplate,
    default_value_in,
)

Info = strawberry.Info[Context, None]


@strawberry.input
class CaseFieldSettingInput:
    field: CaseField
    visible: bool | None = None
    required: bool | None = None
    default_value: str | None = NOT_SENT


@strawberry.input
class CaseTabsInput:
    events: bool | None = None
    customer_conversations: bool | None = None
    tasks: bool | None = None
    forms: bool | None = None


@strawberry.input(description="Only what is given changes.")
class UpdateCaseModuleSettingsInput:
    fields: list[CaseFieldSettingInput] | None = None
    tabs: CaseTabsInput | None = None
    sms_enabled: bool | None = None
    reminder_lead_minutes: int | None = None


@strawberry.type
class UpdateCaseModuleSettingsPayload:
    settings: CaseModuleSettings | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CustomFieldDefinitionInput:
    key: str
    label: str
    kind: FieldKind
    required: bool | None = None
    options: list[str] | None = None


@strawberry.input
class FormQuestionInput:
    key: str
    label: str
    kind: FieldKind
    required: bool | None = None
    options: list[str] | None = None


def _definitions(
    given: Sequence[CustomFieldDefinitionInput | FormQuestionInput],
) -> list[FieldDefinition]:
    return [
        FieldDefinition(g.key, g.label, g.kind, bool(g.required), tuple(g.options or ()))
        for g in given
    ]


@strawberry.input(description="Without an id a new case type; with one, an update.")
class SaveCaseTypeInput:
    id: strawberry.ID | None = None
    name: str
    color: str | None = NOT_SENT
    active: bool | None = None
    fields: list[CustomFieldDefinitionInput] | None = None


@strawberry.type
class SaveCaseTypePayload:
    case_type: CaseType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SaveCasePriorityInput:
    id: strawberry.ID | None = None
    name: str
    color: str | None = NOT_SENT
    order: int | None = None
    active: bool | None = None


@strawberry.type
class SaveCasePriorityPayload:
    case_priority: CasePriority | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SaveCaseStatusInput:
    id: strawberry.ID | None = None
    name: str
    color: str | None = NOT_SENT
    order: int | None = None
    active: bool | None = None
    closed: bool | None = None


@strawberry.type
class SaveCaseStatusPayload:
    case_status: CaseStatus | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SaveTaskTemplateInput:
    id: strawberry.ID | None = None
    name: str
    tasks: list[str]


@strawberry.type
class SaveTaskTemplatePayload:
    task_template: TaskTemplate | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SaveFormTemplateInput:
    id: strawberry.ID | None = None
    name: str
    questions: list[FormQuestionInput]


@strawberry.type
class SaveFormTemplatePayload:
    form_template: FormTemplate | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SettingsQuery:
    @strawberry.field(description="My tenant's case-module settings and dropdown options.")
    async def case_module_settings(self, info: Info) -> CaseModuleSettings:
        info.context.staff()
        settings: ModuleSettings = await info.context.scope.read(load_settings)
        return CaseModuleSettings.from_domain(settings)


@strawberry.type
class SettingsMutation:
    @strawberry.mutation(description="Admin: registration fields, tabs, SMS and reminders.")
    async def update_case_module_settings(
        self, info: Info, input: UpdateCaseModuleSettingsInput
    ) -> UpdateCaseModuleSettingsPayload:
        tabs = input.tabs or CaseTabsInput()
        change = case_options.SettingsChange(
            fields=[
                case_options.FieldSettingChange(
                    field=f.field,
                    visible=f.visible,
                    required=f.required,
                    default=(
                        default_value_in(f.field, f.default_value)
                        if isinstance(f.default_value, str)
                        else sent(f.default_value)
                    ),
                )
                for f in input.fields or ()
            ],
            tab_events=tabs.events,
            tab_customer_conversations=tabs.customer_conversations,
            tab_tasks=tabs.tasks,
            tab_forms=tabs.forms,
            sms_enabled=input.sms_enabled,
            reminder_lead_minutes=input.reminder_lead_minutes,
        )

        async def work(session: AsyncSession, viewer: DomainViewer) -> ModuleSettings:
            viewer.require_admin()
            return await case_options.update_settings(session, change)

        outcome = await perform(info, work)
        settings = CaseModuleSettings.from_domain(outcome.value) if outcome.value else None
        return UpdateCaseModuleSettingsPayload(settings=settings, user_errors=outcome.errors)

    @strawberry.mutation(description="Admin: a new case type (no id) or changes to one.")
    async def save_case_type(self, info: Info, input: SaveCaseTypeInput) -> SaveCaseTypePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.CaseType:
            viewer.require_admin()
            return await case_options.save_case_type(
                session,
                id=our_pk(input.id, "CaseType"),
                name=input.name,
                color=sent(input.color),
                active=input.active,
                fields=_definitions(input.fields) if input.fields is not None else None,
            )

        outcome = await perform(info, work)
        row = CaseType.from_row(outcome.value) if outcome.value else None
        return SaveCaseTypePayload(case_type=row, user_errors=outcome.errors)

    @strawberry.mutation(description="Admin: a new priority (no id) or changes to one.")
    async def save_case_priority(
        self, info: Info, input: SaveCasePriorityInput
    ) -> SaveCasePriorityPayload:
        given = case_options.OptionInput(
            id=our_pk(input.id, "CasePriority"),
            name=input.name,
            color=sent(input.color),
            order=input.order,
            active=input.active,
        )

        async def work(session: AsyncSession, viewer: DomainViewer) -> models.CasePriority:
            viewer.require_admin()
            return await case_options.save_case_priority(session, given)

        outcome = await perform(info, work)
        row = CasePriority.from_row(outcome.value) if outcome.value else None
        return SaveCasePriorityPayload(case_priority=row, user_errors=outcome.errors)

    @strawberry.mutation(description="Admin: a new status (no id) or changes to one.")
    async def save_case_status(
        self, info: Info, input: SaveCaseStatusInput
    ) -> SaveCaseStatusPayload:
        given = case_options.OptionInput(
            id=our_pk(input.id, "CaseStatus"),
            name=input.name,
            color=sent(input.color),
            order=input.order,
            active=input.active,
            closed=input.closed,
        )

        async def work(session: AsyncSession, viewer: DomainViewer) -> models.CaseStatus:
            viewer.require_admin()
            return await case_options.save_case_status(session, given)

        outcome = await perform(info, work)
        row = CaseStatus.from_row(outcome.value) if outcome.value else None
        return SaveCaseStatusPayload(case_status=row, user_errors=outcome.errors)

    @strawberry.mutation(description="Admin: a task template: the tasks it adds to a case.")
    async def save_task_template(
        self, info: Info, input: SaveTaskTemplateInput
    ) -> SaveTaskTemplatePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.TaskTemplate:
            viewer.require_admin()
            return await case_options.save_task_template(
                session,
                id=our_pk(input.id, "TaskTemplate"),
                name=input.name,
                tasks=input.tasks,
            )

        outcome = await perform(info, work)
        row = TaskTemplate.from_row(outcome.value) if outcome.value else None
        return SaveTaskTemplatePayload(task_template=row, user_errors=outcome.errors)

    @strawberry.mutation(description="Admin: a form template: the questions of a form.")
    async def save_form_template(
        self, info: Info, input: SaveFormTemplateInput
    ) -> SaveFormTemplatePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.FormTemplate:
            viewer.require_admin()
            return await case_options.save_form_template(
                session,
                id=our_pk(input.id, "FormTemplate"),
                name=input.name,
                questions=_definitions(input.questions),
            )

        outcome = await perform(info, work)
        row = FormTemplate.from_row(outcome.value) if outcome.value else None
        return SaveFormTemplatePayload(form_template=row, user_errors=outcome.errors)
