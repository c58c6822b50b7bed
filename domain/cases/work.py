"""A case's tasks and forms: adding, assigning and ticking off tasks, answering forms."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, FormInstance, Task, User, utcnow
from domain import validation
from domain.cases.changes import locked_case
from domain.cases.event_log import Action, Actor, Change, as_text, record
from domain.cases.merging import refuse_merged
from domain.cases.saving import next_position
from domain.cases.tabs import check_work_tab
from domain.custom_fields import clean_values, definitions_of
from domain.errors import Problems


async def _assignee(session: AsyncSession, problems: Problems, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = await session.get(User, user_id)
    if user is None:
        problems.not_found("assigneeId", "The user")
    elif not user.active:
        problems.invalid("assigneeId", "The user is no longer active.")
    return user


async def _task_of_case(
    session: AsyncSession, problems: Problems, task_id: int | None
) -> tuple[Task, Case]:
    task = await session.get(Task, task_id) if task_id is not None else None
    if task is None:
        problems.not_found("taskId", "The task")
        problems.raise_if_any()
    assert task is not None
    return task, await locked_case(session, task.case_id, "taskId")


def _touch(
    session: AsyncSession, case: Case, actor: Actor, action: Action, *changes: Change
) -> None:
    now = utcnow()
    case.updated_at = now
    record(session, case.id, actor, action, changes, now)


async def add_task(
    session: AsyncSession,
    actor: Actor,
    case_id: int | None,
    title: str,
    assignee_id: int | None = None,
) -> Case:
    problems = Problems()
    case = await locked_case(session, case_id, "caseId")
    refuse_merged(problems, case, "caseId")
    await check_work_tab(session, problems, "tasks")
    clean_title = validation.text(problems, "title", title, "Title", required=True, max_length=500)
    assignee = await _assignee(session, problems, assignee_id)
    problems.raise_if_any()
    assert clean_title
    position = await next_position(session, case.id)
    session.add(
        Task(case_id=case.id, title=clean_title, assignee_id=assignee_id, position=position)
    )
    changes = [Change("task", None, clean_title)]
    if assignee is not None:
        changes.append(Change("assignee", None, assignee.name))
    _touch(session, case, actor, Action.TASK_ADDED, *changes)
    await session.flush()
    return case


async def set_task_done(
    session: AsyncSession, actor: Actor, task_id: int | None, done: bool
) -> Case:
    problems = Problems()
    task, case = await _task_of_case(session, problems, task_id)
    await check_work_tab(session, problems, "tasks")
    problems.raise_if_any()
    if task.done != done:
        before = task.done
        task.done = done
        action = Action.TASK_DONE if done else Action.TASK_REOPENED
        state = Change("done", as_text(before), as_text(done))
        _touch(session, case, actor, action, Change("task", None, task.title), state)
        await session.flush()
    return case


async def assign_task(
    session: AsyncSession, actor: Actor, task_id: int | None, assignee_id: int | None
) -> Case:
    problems = Problems()
    task, case = await _task_of_case(session, problems, task_id)
    await check_work_tab(session, problems, "tasks")
    assignee = await _assignee(session, problems, assignee_id)
    problems.raise_if_any()
    if task.assignee_id != assignee_id:
        previous = await session.get(User, task.assignee_id) if task.assignee_id else None
        task.assignee_id = assignee_id
        change = Change(
            "assignee", previous.name if previous else None, assignee.name if assignee else None
        )
        _touch(session, case, actor, Action.TASK_ASSIGNED, Change("task", None, task.title), change)
        await session.flush()
    return case


async def answer_form(
    session: AsyncSession,
    actor: Actor,
    form_id: int | None,
    answers: Sequence[tuple[str, str | None]],
) -> Case:
    """Merges the answers given (by question key) into the form; each is checked by kind,
    and every required question must end up answered."""
    problems = Problems()
    form = await session.get(FormInstance, form_id) if form_id is not None else None
    if form is None:
        problems.not_found("formId", "The form")
        problems.raise_if_any()
    assert form is not None
    case = await locked_case(session, form.case_id, "formId")
    await check_work_tab(session, problems, "forms")
    questions = definitions_of(form.questions)
    before: dict[str, str] = dict(form.answers or {})
    after = clean_values(problems, "answers", questions, before, answers)
    problems.raise_if_any()
    if after != before:
        form.answers = after
        labels = {q.key: q.label for q in questions}
        changes = [Change("form", None, form.name)] + [
            Change(labels[key], before.get(key), after.get(key))
            for key in labels
            if before.get(key) != after.get(key)
        ]
        _touch(session, case, actor, Action.FORM_ANSWERED, *changes)
        await session.flush()
    return case
