"""`casePresence`: who views a case and who is typing on it, at once and on each change.

Self-contained: the subscriber is one of the case's viewers for exactly as long as this
generator runs, however it ends (complete, the socket closing, the sign-in ending).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence

import strawberry

from db import models
from domain import channels
from domain.case_presence import Presence, present_users
from domain.cases.access import visible_case
from domain.errors import NotFound
from domain.viewer import Viewer
from graph.context import Context
from graph.ids import pk_of
from graph.types.presence import CasePresence

Info = strawberry.Info[Context, None]


@strawberry.type
class PresenceSubscription:
    @strawberry.subscription(
        description="Who views the case and who is typing on it: at once, then on each change. "
        "The subscriber views the case until the subscription ends."
    )
    async def case_presence(
        self, info: Info, case_id: strawberry.ID
    ) -> AsyncGenerator[CasePresence, None]:
        context = info.context
        viewer = context.staff()
        case_pk = pk_of(case_id, "Case")
        case = await context.scope.read(lambda s: visible_case(s, viewer, case_pk))
        if case is None:
            raise NotFound("The case was not found.")
        # Nothing more is read in the operation's session: give its connection back.
        await context.scope.release()

        services = context.services
        with services.presence.viewing((viewer.tenant_id, case.id), viewer.staff_user_id) as watch:
            sent: Presence | None = None
            while True:
                watch.changed.clear()
                presence = watch.presence()
                if presence != sent:
                    if sent is not None and not await services.event_reads.may_see_case(
                        viewer, case.id
                    ):
                        return  # signed out, or the case deleted, since the last push
                    users = await _users(context, viewer, presence)
                    sent = presence
                    yield CasePresence.of(presence, users)
                await watch.changed.wait()


async def _users(context: Context, viewer: Viewer, presence: Presence) -> Sequence[models.User]:
    """The users of `presence`, read once for every subscriber of the case woken with it."""
    services = context.services
    ids = sorted(presence.users)

    async def fetch() -> list[models.User]:
        async with services.db.session(viewer.tenant_id) as session:
            return await present_users(session, presence)

    shared_by = f"{channels.case_presence()}.t{viewer.tenant_id}"
    users: Sequence[models.User] = await services.event_reads.rows(shared_by, ids, fetch)
    return users
