"""`setTyping`: the viewer says they are typing on a case, or have stopped."""

from __future__ import annotations

import strawberry

from domain.case_presence import TYPING_SECONDS, present_users
from domain.cases.access import visible_case
from domain.errors import Problems
from graph.context import Context
from graph.ids import pk_of
from graph.types.base import UserError, user_errors
from graph.types.presence import CasePresence

Info = strawberry.Info[Context, None]


@strawberry.input
class SetTypingInput:
    case_id: strawberry.ID
    typing: bool


@strawberry.type
class SetTypingPayload:
    presence: CasePresence | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PresenceMutation:
    @strawberry.mutation(
        description=f"`typing: true` shows the viewer typing on the case for "
        f"{TYPING_SECONDS:.0f} s (call again to go on); `false` ends it at once."
    )
    async def set_typing(self, info: Info, input: SetTypingInput) -> SetTypingPayload:
        context = info.context
        viewer = context.staff()
        case_pk = pk_of(input.case_id, "Case")
        case = await context.scope.read(lambda s: visible_case(s, viewer, case_pk))
        if case is None:
            problems = Problems()
            problems.not_found("caseId", "The case")
            return SetTypingPayload(user_errors=user_errors(problems.errors))
        presence = context.services.presence.set_typing(
            (viewer.tenant_id, case.id), viewer.staff_user_id, input.typing
        )
        users = await context.scope.read(lambda s: present_users(s, presence))
        return SetTypingPayload(presence=CasePresence.of(presence, users))
