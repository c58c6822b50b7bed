"""Writing a checked proposal to a case: row, assignees, templates, search text, event log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, FormInstance, FormTemplate, Task, TaskTemplate
from domain.assignment_mail import queue_assignment_mail
from domain.cases.confirmation import queue_confirmation
from domain.cases.event_log import Action, Actor, Change, describe, record
from domain.cases.proposal import Proposal
from domain.cases.search_text import refresh_search_text
from domain.cases.state import CaseState, save_assignees
from domain.notifications import assignees_of, notify_assigned
from domain.sla.case_targets import follow_case


async def next_position(session: AsyncSession, case_id: int) -> int:
    highest = await session.scalar(select(func.max(Task.position)).where(Task.case_id == case_id))
    return 0 if highest is None else int(highest) + 1


async def add_from_templates(
    session: AsyncSession,
    case: Case,
    task_templates: list[TaskTemplate],
    form_templates: list[FormTemplate],
) -> list[Change]:
    """Tasks from task templates, and forms (a copy of the questions) from form templates."""
    changes: list[Change] = []
    titles = [title for template in task_templates for title in template.tasks]
    if titles:
        position = await next_position(session, case.id)
        session.add_all(
            Task(case_id=case.id, title=title, position=position + i)
            for i, title in enumerate(titles)
        )
        changes.append(Change("tasks", None, ", ".join(titles)))
    if form_templates:
        session.add_all(
            FormInstance(
                case_id=case.id,
                template_id=template.id,
                name=template.name,
                questions=list(template.questions),
                answers={},
            )
            for template in form_templates
        )
        changes.append(Change("forms", None, ", ".join(t.name for t in form_templates)))
    return changes


async def save_proposal(
    session: AsyncSession,
    actor: Actor,
    case: Case,
    before: CaseState,
    proposal: Proposal,
    action: Action,
    now: datetime,
) -> None:
    """Applies `proposal` to `case` (already flushed) and logs what changed under `action`."""
    after = proposal.state
    after.apply_to(case)
    await follow_case(session, case, before, now)
    if after != before or proposal.task_templates or proposal.form_templates:
        case.updated_at = now  # before the next flush, so one UPDATE carries it
    reassigned = (before.assigned_user_ids, before.assigned_group_ids) != (
        after.assigned_user_ids,
        after.assigned_group_ids,
    )
    previously = await assignees_of(session, case.id) if reassigned else set()
    await save_assignees(session, case.id, before, after)
    if reassigned:
        notified = await notify_assigned(
            session,
            tenant_id=case.tenant_id,
            case_id=case.id,
            before=previously,
            actor_id=actor.user_id,
        )
        assigned_by = actor.name if actor.user_id is not None else None
        await queue_assignment_mail(session, case, notified, assigned_by)
    changes = await describe(session, before, after)
    changes += await add_from_templates(
        session, case, proposal.task_templates, proposal.form_templates
    )
    if changes or action is Action.REGISTERED:
        record(session, case.id, actor, action, changes, now)
        await refresh_search_text(session, [case])
    contact = proposal.contact
    if proposal.send_confirmation and contact is not None and contact.email:
        await queue_confirmation(session, case, contact)
        sent_to = Change("confirmation", None, f"{contact.name} <{contact.email}>")
        record(session, case.id, actor, Action.CONFIRMATION_SENT, [sent_to], now)
    await session.flush()
