"""What an administrator changes in the case module: field settings, tabs, dropdown options."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    Case,
    CaseModuleSettingsRow,
    CasePriority,
    CaseStatus,
    CaseType,
    FormTemplate,
    TaskTemplate,
)
from domain import validation
from domain.absent import ABSENT, Maybe
from domain.cases.defaults import clean_default
from domain.cases.search_text import refresh_search_text_where
from domain.cases.settings import CaseField, ModuleSettings, default_fields, tenant_of
from domain.custom_fields import FieldDefinition, clean_definitions
from domain.errors import Problems

MAX_REMINDER_LEAD_MINUTES = 30 * 24 * 60
Option = TypeVar("Option", CaseType, CasePriority, CaseStatus, TaskTemplate, FormTemplate)
Ordered = TypeVar("Ordered", CasePriority, CaseStatus)


@dataclass(frozen=True)
class FieldSettingChange:
    field: CaseField
    visible: bool | None = None
    required: bool | None = None
    default: Maybe[str | None] = ABSENT


@dataclass(frozen=True)
class SettingsChange:
    fields: Sequence[FieldSettingChange] = ()
    tab_events: bool | None = None
    tab_customer_conversations: bool | None = None
    tab_tasks: bool | None = None
    tab_forms: bool | None = None
    sms_enabled: bool | None = None
    reminder_lead_minutes: int | None = None


async def update_settings(session: AsyncSession, change: SettingsChange) -> ModuleSettings:
    """Changes only what `change` names; every problem is reported at once."""
    tenant_id = tenant_of(session)
    row = await session.get(CaseModuleSettingsRow, tenant_id, with_for_update=True)
    if row is None:
        row = CaseModuleSettingsRow(tenant_id=tenant_id, fields=default_fields())
        session.add(row)
    problems = Problems()
    fields: dict[str, Any] = {k: dict(v) for k, v in (row.fields or {}).items()}
    current = ModuleSettings.from_row(row).fields
    seen: set[CaseField] = set()
    for given in change.fields:
        path = ("fields", given.field.value)
        if given.field in seen:
            problems.invalid(path, f"{given.field.value} is listed twice.")
            continue
        seen.add(given.field)
        setting = current[given.field].to_json()
        if given.visible is not None:
            setting["visible"] = given.visible
        if given.required is not None:
            setting["required"] = given.required
        if given.default is not ABSENT:
            raw = given.default
            setting["default"] = (
                await clean_default(session, problems, (*path, "defaultValue"), given.field, raw)
                if raw is not None
                else None
            )
        if setting["required"] and not setting["visible"]:
            problems.invalid((*path, "required"), "A hidden field cannot be required.")
        fields[given.field.value] = setting
    minutes = change.reminder_lead_minutes
    if minutes is not None and not 0 <= minutes <= MAX_REMINDER_LEAD_MINUTES:
        problems.invalid(
            "reminderLeadMinutes", f"Between 0 and {MAX_REMINDER_LEAD_MINUTES} minutes."
        )
    problems.raise_if_any()
    row.fields = fields
    for attribute in (
        "tab_events",
        "tab_customer_conversations",
        "tab_tasks",
        "tab_forms",
        "sms_enabled",
        "reminder_lead_minutes",
    ):
        value = getattr(change, attribute)
        if value is not None:
            setattr(row, attribute, value)
    await session.flush()
    return ModuleSettings.from_row(row)


async def _existing(
    session: AsyncSession, problems: Problems, model: type[Option], id_: int | None
) -> Option | None:
    """The option being edited (None: a new one); NOT_FOUND when the id names nothing of ours."""
    if id_ is None:
        return None
    row = await session.scalar(select(model).where(model.id == id_).with_for_update())
    if row is None:
        problems.not_found("id", "The option")
    return row


async def _next_order(session: AsyncSession, model: type[Ordered]) -> int:
    highest = await session.scalar(select(func.max(model.order)))
    return 0 if highest is None else int(highest) + 1


@dataclass(frozen=True)
class OptionInput:
    """What `saveCasePriority` and `saveCaseStatus` send; None leaves a value as it is."""

    id: int | None
    name: str
    color: Maybe[str | None] = ABSENT
    order: int | None = None
    active: bool | None = None
    closed: bool | None = None


async def save_case_type(
    session: AsyncSession,
    *,
    id: int | None,
    name: str,
    color: Maybe[str | None] = ABSENT,
    active: bool | None = None,
    fields: Sequence[FieldDefinition] | None = None,
) -> CaseType:
    problems = Problems()
    row = await _existing(session, problems, CaseType, id)
    clean_name = validation.text(problems, "name", name, "Name", required=True)
    clean_color = validation.color(problems, "color", color) if color else None
    definitions = clean_definitions(problems, "fields", fields) if fields is not None else None
    problems.raise_if_any()
    assert clean_name
    if row is None:
        row = CaseType(name=clean_name, fields=[])
        session.add(row)
    renamed = row.name != clean_name
    row.name = clean_name
    if color is not ABSENT:
        row.color = clean_color
    if active is not None:
        row.active = active
    if definitions is not None:
        row.fields = [d.to_json() for d in definitions]
    await session.flush()
    if renamed:
        await refresh_search_text_where(session, Case.type_id == row.id)
    return row


async def _save_ordered(session: AsyncSession, model: type[Ordered], given: OptionInput) -> Ordered:
    problems = Problems()
    row = await _existing(session, problems, model, given.id)
    clean_name = validation.text(problems, "name", given.name, "Name", required=True)
    clean_color = validation.color(problems, "color", given.color) if given.color else None
    problems.raise_if_any()
    assert clean_name
    if row is None:
        row = model(name=clean_name, order=await _next_order(session, model))
        session.add(row)
    renamed = row.name != clean_name
    row.name = clean_name
    if given.color is not ABSENT:
        row.color = clean_color
    if given.order is not None:
        row.order = given.order
    if given.active is not None:
        row.active = given.active
    if isinstance(row, CaseStatus) and given.closed is not None:
        row.closed = given.closed
    await session.flush()
    if renamed:
        column = Case.priority_id if isinstance(row, CasePriority) else Case.status_id
        await refresh_search_text_where(session, column == row.id)
    return row


async def save_case_priority(session: AsyncSession, given: OptionInput) -> CasePriority:
    return await _save_ordered(session, CasePriority, given)


async def save_case_status(session: AsyncSession, given: OptionInput) -> CaseStatus:
    return await _save_ordered(session, CaseStatus, given)


async def save_task_template(
    session: AsyncSession, *, id: int | None, name: str, tasks: Sequence[str]
) -> TaskTemplate:
    problems = Problems()
    row = await _existing(session, problems, TaskTemplate, id)
    clean_name = validation.text(problems, "name", name, "Name", required=True)
    titles = [
        validation.text(problems, ("tasks", str(i)), t, "A task", required=True, max_length=500)
        for i, t in enumerate(tasks)
    ]
    if not tasks:
        problems.required("tasks", "At least one task")
    problems.raise_if_any()
    assert clean_name
    if row is None:
        row = TaskTemplate(name=clean_name)
        session.add(row)
    row.name = clean_name
    row.tasks = [t for t in titles if t]
    await session.flush()
    return row


async def save_form_template(
    session: AsyncSession, *, id: int | None, name: str, questions: Sequence[FieldDefinition]
) -> FormTemplate:
    problems = Problems()
    row = await _existing(session, problems, FormTemplate, id)
    clean_name = validation.text(problems, "name", name, "Name", required=True)
    cleaned = clean_definitions(problems, "questions", questions)
    if not questions:
        problems.required("questions", "At least one question")
    problems.raise_if_any()
    assert clean_name
    if row is None:
        row = FormTemplate(name=clean_name)
        session.add(row)
    row.name = clean_name
    row.questions = [q.to_json() for q in cleaned]
    await session.flush()
    return row
