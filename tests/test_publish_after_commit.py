"""Events go out only after their transaction commits: a rolled-back write publishes nothing."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Comment
from domain import channels
from domain.comments import add_comment
from domain.viewer import Viewer, ViewerKind
from graph.ids import pk_of
from graph.resolvers.mutation import commit_then_publish
from tests.support.client import Api

COMMENT_ADDED = "subscription($caseId: ID!) { commentAdded(caseId: $caseId) { id body } }"
VIEWER = "{ viewer { user { id } } }"


class LaterStepFailed(Exception):
    pass


async def test_rolled_back_comment_is_never_published(api: Api) -> None:
    tenant = await api.new_tenant()
    sara = await tenant.create_user("Sara", handle="sara")
    case_id = await tenant.create_case()
    async with api.ws(tenant.admin_token) as socket:
        await socket.subscribe(COMMENT_ADDED, {"caseId": case_id})
        await asyncio.sleep(0.2)

        # The real write path, where a step after the comment (and its announcements) fails.
        signed_in = await api.data(VIEWER, token=tenant.admin_token)
        admin_pk = pk_of(signed_in["viewer"]["user"]["id"], "User")
        assert admin_pk is not None
        viewer = Viewer(kind=ViewerKind.STAFF, tenant_id=tenant.pk, token_id=0, user_id=admin_pk)

        async def comment_then_fail(session: AsyncSession, who: Viewer) -> Comment:
            await add_comment(session, who, pk_of(case_id, "Case"), "@sara hemligt utkast")
            raise LaterStepFailed

        case_pk = pk_of(case_id, "Case")
        assert case_pk is not None
        channel = channels.case_comments(tenant.pk, case_pk)
        async with api.services.bus.listen(channel) as raw:
            with pytest.raises(LaterStepFailed):
                await commit_then_publish(api.services, viewer, comment_then_fail)
            await asyncio.sleep(0.3)
            assert raw.pending() == []

        # The next comment that does commit is the first thing the subscriber sees.
        data = await api.data(
            'mutation($c: ID!) { addComment(input: {caseId: $c, body: "riktig"}) { comment { id } } }',
            {"c": case_id},
            tenant.admin_token,
        )
        message = await socket.receive()
        assert message["payload"]["data"]["commentAdded"] == {
            "id": data["addComment"]["comment"]["id"],
            "body": "riktig",
        }
    async with api.db.session(tenant.pk) as session:
        stored = await session.scalars(
            select(Comment.body).where(Comment.case_id == pk_of(case_id, "Case"))
        )
        assert stored.all() == ["riktig"]
    lobby = await api.data("{ viewer { unreadNotificationCount } }", token=sara["token"])
    assert lobby["viewer"]["unreadNotificationCount"] == 0
