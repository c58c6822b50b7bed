"""Adding a comment: a fixed handful of statements, and appends to a case in commit order."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, func, select

from db.models import Case, Comment, Notification, OutboxMessage
from db.streams import Stream, serialize_appends
from domain import channels
from graph.ids import pk_of
from tests.support.bus_listening import listening
from tests.support.client import BACKGROUND_JOBS, Api, eventually

ADD_COMMENT = """mutation($caseId: ID!, $body: String!) {
  addComment(input: {caseId: $caseId, body: $body}) { comment { id body } userErrors { code } } }"""
SIGNED_IN = "{ viewer { kind user { id } } }"


async def _statements(api: Api, query: str, variables: dict[str, Any], token: str) -> int:
    async with api.counting_statements() as counter:
        data = await api.data(query, variables, token)
    if "addComment" in data:
        assert data["addComment"]["userErrors"] == [], data
    return counter.count


async def test_a_comment_costs_the_same_few_statements_however_many_it_mentions(
    api: Api,
) -> None:
    tenant = await api.new_tenant()
    for handle in ["sara", "erik", "nils"]:
        await tenant.create_user(handle.title(), handle=handle)
    case_id = await tenant.create_case("Fläkten låter")
    token = tenant.admin_token
    # What any signed-in request costs that reads one row (the token, the row, on SQLite
    # also a BEGIN).
    signed_in = await _statements(api, SIGNED_IN, {}, token)

    def comment(body: str) -> dict[str, str]:
        return {"caseId": case_id, "body": body}

    plain = await _statements(api, ADD_COMMENT, comment("Bytt filter."), token) - signed_in
    one = await _statements(api, ADD_COMMENT, comment("@sara titta"), token) - signed_in
    three = await _statements(api, ADD_COMMENT, comment("@sara @erik @nils titta"), token)
    # The case (checked, touched and its comments locked), the comment with the id before it
    # (and the recipients' notification streams locked); on SQLite also BEGIN IMMEDIATE.
    begin = 1 if api.backend == "sqlite" else 0
    assert plain <= 2 + begin, plain
    # Plus the users, the mentions, their notifications, the mail.
    assert one <= 6 + begin, one
    assert three - signed_in == one

    case_pk = pk_of(case_id, "Case")
    async with api.db.session(tenant.pk) as session:
        comments = await session.scalar(
            select(func.count()).select_from(Comment).where(Comment.case_id == case_pk)
        )
        notified = await session.scalar(
            select(func.count()).select_from(Notification).where(Notification.case_id == case_pk)
        )
        mails = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.tenant_id == tenant.pk, OutboxMessage.subject.contains("nämnde dig")
            )
        )
    assert (comments, notified, mails) == (3, 4, 4)


async def test_each_event_names_the_row_before_it_in_its_stream(api: Api) -> None:
    tenant = await api.new_tenant()
    sara = await tenant.create_user("Sara", handle="sara")
    sara_pk = pk_of(sara["id"], "User")
    case_id = await tenant.create_case()
    case_pk = pk_of(case_id, "Case")
    assert case_pk is not None and sara_pk is not None
    async with (
        listening(api, channels.case_comments(tenant.pk, case_pk)) as comments,
        listening(api, channels.user_notifications(tenant.pk, sara_pk)) as lobby,
    ):
        added = []
        for i in range(3):
            data = await api.data(
                ADD_COMMENT, {"caseId": case_id, "body": f"@sara {i}"}, tenant.admin_token
            )
            added.append(pk_of(data["addComment"]["comment"]["id"], "Comment"))
        said = [await asyncio.wait_for(comments.get(), 5) for _ in added]
        told = [await asyncio.wait_for(lobby.get(), 5) for _ in added]
    assert [(e["id"], e["prev"]) for e in said] == list(zip(added, [None, *added[:2]], strict=True))
    notified = [e["id"] for e in told]
    assert [e["prev"] for e in told] == [None, *notified[:2]]


# What a writer waits in when another holds its stream: SQLite's write lock, which every
# write transaction takes as it begins, or PostgreSQL's advisory lock on the stream.
LOCK_TAKING = re.compile(r"BEGIN IMMEDIATE|pg_advisory_xact_lock")


@asynccontextmanager
async def waiting_for_a_lock(api: Api) -> AsyncIterator[Callable[[], Awaitable[bool]]]:
    """A check: whether a request of the server has sent a statement that takes a lock and
    not had its answer (the app's background jobs left out)."""
    sent: set[int] = set()
    engine = api.db.engine.sync_engine

    def before(_conn: Any, _cursor: Any, statement: str, _p: Any, context: Any, _m: Any) -> None:
        task = asyncio.current_task()
        ours = task is not None and task.get_name() not in BACKGROUND_JOBS
        if ours and LOCK_TAKING.search(statement):
            sent.add(id(context))

    def after(_conn: Any, _cursor: Any, _s: str, _p: Any, context: Any, _m: Any) -> None:
        sent.discard(id(context))

    async def waiting() -> bool:
        return bool(sent)

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield waiting
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


async def assert_still_running(task: asyncio.Task[Any], seconds: float = 0.3) -> None:
    """`task` does not finish within `seconds`: only for what must not happen yet."""
    done, _pending = await asyncio.wait([task], timeout=seconds)
    assert not done, task


async def test_a_comment_waits_for_whoever_is_appending_to_the_case(api: Api) -> None:
    tenant = await api.new_tenant()
    case_id = await tenant.create_case()
    case_pk = pk_of(case_id, "Case")
    assert case_pk is not None
    comment = {"caseId": case_id, "body": "Efter"}
    async with api.db.transaction(tenant.pk) as session:
        # On SQLite the transaction's first statement takes the write lock, which is the lock.
        assert await session.get(Case, case_pk) is not None
        await serialize_appends(session, Stream.CASE_COMMENTS, [case_pk])
        async with waiting_for_a_lock(api) as waiting:
            adding = asyncio.create_task(api.data(ADD_COMMENT, comment, tenant.admin_token))
            await eventually(waiting, what="the comment to wait for the lock")
            # Its id would otherwise be taken before this transaction's append commits.
            await assert_still_running(adding)
    data = await asyncio.wait_for(adding, 10)
    assert data["addComment"]["comment"]["body"] == "Efter"


async def test_a_mention_waits_for_whoever_is_notifying_the_same_user(api: Api) -> None:
    tenant = await api.new_tenant()
    await tenant.create_user("Sara", handle="sara")
    erik = await tenant.create_user("Erik", handle="erik")
    erik_pk = pk_of(erik["id"], "User")
    case_id = await tenant.create_case()
    case_pk = pk_of(case_id, "Case")
    assert case_pk is not None and erik_pk is not None
    comment = {"caseId": case_id, "body": "@sara @erik titta"}
    async with api.db.transaction(tenant.pk) as session:
        assert await session.get(Case, case_pk) is not None  # SQLite: the write lock
        await serialize_appends(session, Stream.USER_NOTIFICATIONS, [erik_pk])
        async with waiting_for_a_lock(api) as waiting:
            adding = asyncio.create_task(api.data(ADD_COMMENT, comment, tenant.admin_token))
            await eventually(waiting, what="the mention to wait for the lock")
            await assert_still_running(adding)
    data = await asyncio.wait_for(adding, 10)
    assert data["addComment"]["userErrors"] == []
