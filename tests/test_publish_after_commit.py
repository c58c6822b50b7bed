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
from tests.support.bus_listening import heard_so_far, listening
from tests.support.client import Api

COMMENT_ADDED = """subscription($caseId: ID!, $after: ID) {
  commentAdded(caseId: $caseId, after: $after) { id body } }"""
VIEWER = "{ viewer { user { id } } }"


class LaterStepFailed(Exception):
    pass


async def test_rolled_back_comment_is_never_published(api: Api) -> None:
    tenant = await api.new_tenant()
    sara = await tenant.create_user("Sara", handle="sara")
    case_id = await tenant.create_case()
    case_pk = pk_of(case_id, "Case")
    assert case_pk is not None
    channel = channels.case_comments(tenant.pk, case_pk)
    async with (
        listening(api, channel) as raw,
        api.ws(tenant.admin_token) as socket,
    ):
        older = await tenant.add_comment(case_id, "äldre")
        newer = await tenant.add_comment(case_id, "nyare")
        heard = [await asyncio.wait_for(raw.get(), 5) for _ in range(2)]
        assert [event["id"] for event in heard] == [
            pk_of(older, "Comment"),
            pk_of(newer, "Comment"),
        ]
        await socket.subscribe_live(
            COMMENT_ADDED, {"caseId": case_id, "after": older}, replayed={"id": newer}
        )

        # The real write path, where a step after the comment (and its announcements) fails.
        signed_in = await api.data(VIEWER, token=tenant.admin_token)
        admin_pk = pk_of(signed_in["viewer"]["user"]["id"], "User")
        assert admin_pk is not None
        viewer = Viewer(kind=ViewerKind.STAFF, tenant_id=tenant.pk, token_id=0, user_id=admin_pk)

        async def comment_then_fail(session: AsyncSession, who: Viewer) -> Comment:
            await add_comment(session, who, case_pk, "@sara hemligt utkast")
            raise LaterStepFailed

        with pytest.raises(LaterStepFailed):
            await commit_then_publish(api.services, viewer, comment_then_fail)
        await heard_so_far(api)
        assert raw.pending() == []

        # The next comment that does commit is the first thing the subscriber sees.
        data = await api.data(
            'mutation($c: ID!) { addComment(input: {caseId: $c, body: "riktig"}) { comment { id } } }',
            {"c": case_id},
            tenant.admin_token,
        )
        real = data["addComment"]["comment"]["id"]
        assert (await asyncio.wait_for(raw.get(), 5))["id"] == pk_of(real, "Comment")
        message = await socket.receive()
        assert message["payload"]["data"]["commentAdded"] == {"id": real, "body": "riktig"}
    async with api.db.session(tenant.pk) as session:
        stored = await session.scalars(
            select(Comment.body).where(Comment.case_id == case_pk).order_by(Comment.id)
        )
        assert stored.all() == ["äldre", "nyare", "riktig"]
    lobby = await api.data("{ viewer { unreadNotificationCount } }", token=sara["token"])
    assert lobby["viewer"]["unreadNotificationCount"] == 0
