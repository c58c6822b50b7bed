"""A case's tasks and forms: add, assign and tick off tasks; answer forms."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from domain.cases import work as case_work
from domain.cases.event_log import Actor
from domain.viewer import Viewer as DomainViewer
from graph.context import Context
from graph.ids import our_pk
from graph.resolvers.case_input import CustomFieldValueInput
from graph.resolvers.cases import UpdateCasePayload, case_payload

Info = strawberry.Info[Context, None]


@strawberry.input
class AddTaskInput:
    case_id: strawberry.ID
    title: str
    assignee_id: strawberry.ID | None = None


@strawberry.input
class SetTaskDoneInput:
    task_id: strawberry.ID
    done: bool


@strawberry.input
class AssignTaskInput:
    task_id: strawberry.ID
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="null leaves the task unassigned."
    )


@strawberry.input
class AnswerFormInput:
    form_id: strawberry.ID
    answers: list[CustomFieldValueInput] = strawberry.field(
        description="By question key; answers not given stay as they were, null clears one."
    )


@strawberry.type
class CaseWorkMutation:
    @strawberry.mutation(description="A new task on the case.")
    async def add_task(self, info: Info, input: AddTaskInput) -> UpdateCasePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Case:
            return await case_work.add_task(
                session,
                Actor.of(viewer),
                our_pk(input.case_id, "Case"),
                input.title,
                our_pk(input.assignee_id, "User"),
            )

        return await case_payload(info, work)

    @strawberry.mutation(description="Marks a task done, or not done.")
    async def set_task_done(self, info: Info, input: SetTaskDoneInput) -> UpdateCasePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Case:
            return await case_work.set_task_done(
                session, Actor.of(viewer), our_pk(input.task_id, "Task"), input.done
            )

        return await case_payload(info, work)

    @strawberry.mutation(description="Gives a task to a user, or to no one.")
    async def assign_task(self, info: Info, input: AssignTaskInput) -> UpdateCasePayload:
        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Case:
            return await case_work.assign_task(
                session,
                Actor.of(viewer),
                our_pk(input.task_id, "Task"),
                our_pk(input.assignee_id, "User"),
            )

        return await case_payload(info, work)

    @strawberry.mutation(description="Answers a form's questions, each checked by its kind.")
    async def answer_form(self, info: Info, input: AnswerFormInput) -> UpdateCasePayload:
        answers = [(a.key, a.value) for a in input.answers]

        async def work(session: AsyncSession, viewer: DomainViewer) -> models.Case:
            return await case_work.answer_form(
                session, Actor.of(viewer), our_pk(input.form_id, "FormInstance"), answers
            )

        return await case_payload(info, work)
