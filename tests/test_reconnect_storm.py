"""Subscriptions starting together (a reconnect storm) share their reads: a sign-in, a case
and a replay are each read once for everyone asking at the same moment, never from a read
already on its way, and never across tenants or kinds of viewer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from typing import Any, cast

import pytest
from sqlalchemy import event

from domain import channels, signin
from domain.viewer import Role, Viewer, ViewerKind
from graph.ids import pk_of
from graph.live import follow, replay
from graph.live.event_reads import EventReads
from graph.live.follow import replay_key
from graph.live.render import frame_head
from graph.live.replay import ReplayBatch
from graph.live.sockets.sign_ins import SocketSignIns
from graph.live.subscriber import Request, Subscriber
from tests.support.client import Api
from tests.test_legacy_live import legacy_socket, until

COMMENT_ADDED = """subscription($caseId: ID!, $after: ID) {
  commentAdded(caseId: $caseId, after: $after) { body author { name } } }"""


class Reads:
    """A read that waits to be let go, numbered in the order reads were sent."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.go = asyncio.Event()
        self._changed = asyncio.Condition()

    async def read(self, what: Any) -> int:
        async with self._changed:
            self.sent.append(what)
            number = len(self.sent)
            self._changed.notify_all()
        await self.go.wait()
        return number

    async def until_sent(self, count: int) -> None:
        async def sent() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.sent) >= count)

        await asyncio.wait_for(sent(), timeout=5)


async def test_a_replay_already_on_its_way_is_never_joined() -> None:
    # Joining it could miss a row committed after it was sent and announced before the
    # latecomer listened to its channel.
    event_reads = EventReads(cast(Any, None))
    reads = Reads()

    async def fetch() -> Sequence[Any]:
        return [await reads.read("comments after 7")]

    together = [asyncio.ensure_future(event_reads.replay("k", fetch)) for _ in range(3)]
    other = asyncio.ensure_future(event_reads.replay("another key", fetch))
    await reads.until_sent(2)
    late = asyncio.ensure_future(event_reads.replay("k", fetch))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    reads.go.set()
    assert [await t for t in together] == [[1], [1], [1]]
    assert await other == [2]
    assert await late == [3]  # a read of its own, sent after it asked


async def test_a_replay_that_fails_fails_for_everyone_who_asked() -> None:
    event_reads = EventReads(cast(Any, None))

    async def fetch() -> Sequence[Any]:
        raise ConnectionError("the database is away")

    asked = [event_reads.replay("k", fetch) for _ in range(2)]
    answers = await asyncio.gather(*asked, return_exceptions=True)
    assert [type(a) for a in answers] == [ConnectionError, ConnectionError]


def test_no_two_tenants_nor_kinds_of_viewer_share_a_replay() -> None:
    staff = Viewer(kind=ViewerKind.STAFF, tenant_id=1, token_id=1, user_id=1)
    colleague = Viewer(kind=ViewerKind.STAFF, tenant_id=1, token_id=2, user_id=2)
    elsewhere = Viewer(kind=ViewerKind.STAFF, tenant_id=2, token_id=3, user_id=3)
    contact = Viewer(kind=ViewerKind.CONTACT, tenant_id=1, token_id=4, contact_id=1, customer_id=1)
    other_customer = Viewer(
        kind=ViewerKind.CONTACT, tenant_id=1, token_id=5, contact_id=2, customer_id=2
    )
    channel = "t1.case7.messages"
    assert replay_key(channel, 10, staff) == replay_key(channel, 10, colleague)
    keys = {replay_key(channel, 10, v) for v in (staff, elsewhere, contact, other_customer)}
    assert len(keys) == 4
    assert replay_key(channel, 10, staff) != replay_key(channel, 11, staff)
    assert replay_key(channel, 10, staff) != replay_key("t1.case8.messages", 10, staff)


async def test_a_sign_in_already_being_read_is_read_again_for_a_later_question(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads = Reads()
    viewer = Viewer(kind=ViewerKind.STAFF, tenant_id=1, token_id=1, user_id=1)

    async def viewers_for_tokens(_session: object, tokens: Sequence[str]) -> dict[str, Viewer]:
        await reads.read(sorted(tokens))
        return {token: viewer for token in tokens if token != "revoked"}

    class Database:
        @asynccontextmanager
        async def session(self, _tenant_id: None) -> AsyncIterator[None]:
            yield None

    monkeypatch.setattr(signin, "viewers_for_tokens", viewers_for_tokens)
    sign_ins = SocketSignIns(cast(Any, Database()))
    together = [asyncio.ensure_future(sign_ins.viewer(t)) for t in ("a", "b", "a", "revoked")]
    await reads.until_sent(1)
    late = asyncio.ensure_future(sign_ins.viewer("a"))
    await reads.until_sent(2)
    reads.go.set()
    assert [await t for t in together] == [viewer, viewer, viewer, None]
    assert await late == viewer
    # One statement for everything asked together; the late question got one of its own.
    assert reads.sent == [["a", "b", "revoked"], ["a"]]


async def test_subscriptions_resuming_together_each_get_their_own_cases_rows(api: Api) -> None:
    kvarnen, sjobris = await api.new_tenant(), await api.new_tenant("Sjöbris Fastigheter AB")
    erik = await kvarnen.create_user("Erik Johansson")
    case, elsewhere = await kvarnen.create_case(), await sjobris.create_case()
    ett = await kvarnen.add_comment(case, "ett")
    tva = await kvarnen.add_comment(case, "två")
    await kvarnen.add_comment(case, "tre")
    uno = await sjobris.add_comment(elsewhere, "uno")
    await sjobris.add_comment(elsewhere, "dos")

    async def resume(token: str, case_id: str, after: str, count: int) -> list[Any]:
        async with api.ws(token) as socket:
            operation = await socket.subscribe(COMMENT_ADDED, {"caseId": case_id, "after": after})
            got = []
            for _ in range(count):
                message = await socket.receive()
                assert message["id"] == operation, message
                if message["type"] == "error":
                    return [message["payload"][0]["extensions"]["code"]]
                payload = message["payload"]
                if "errors" in payload:
                    return [payload["errors"][0]["extensions"]["code"]]
                got.append(payload["data"]["commentAdded"]["body"])
            return got

    asked = {
        "kvarnen's admin after ett": resume(kvarnen.admin_token, case, ett, 2),
        "erik after ett": resume(erik["token"], case, ett, 2),
        "erik after två": resume(erik["token"], case, tva, 1),
        "sjöbris's admin after uno": resume(sjobris.admin_token, elsewhere, uno, 1),
        "sjöbris's admin on kvarnen's case": resume(sjobris.admin_token, case, ett, 1),
    }
    answers = dict(zip(asked, await asyncio.gather(*asked.values()), strict=True))
    assert answers == {
        "kvarnen's admin after ett": ["två", "tre"],
        "erik after ett": ["två", "tre"],
        "erik after två": ["tre"],
        "sjöbris's admin after uno": ["dos"],
        "sjöbris's admin on kvarnen's case": ["NOT_FOUND"],
    }


# A replayed batch is rendered once for everyone asking the same thing as the same kind of
# viewer, and those bytes are all they get; anyone else gets a rendering of their own.


class Row:
    def __init__(self, id: int) -> None:
        self.id = id


class Outlet:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_text(self, text: str) -> None:
        self.sent.append(text)

    async def drained(self) -> None:
        return None

    def end(self, subscriber: Subscriber) -> None:
        raise AssertionError("not live")


def subscriber(
    viewer: Viewer, query: str = COMMENT_ADDED, variables: dict[str, Any] | None = None
) -> Subscriber:
    request = Request(None, query, variables or {"caseId": "Q2FzZTo3"}, None)
    return Subscriber(Outlet(), "1", frame_head("next", "1"), request, None, viewer, lambda r: r)


def who(viewer: Viewer) -> str:
    return f"{viewer.kind}/{viewer.tenant_id}/{viewer.role}/{viewer.customer_id}/{viewer.user_id}"


@pytest.fixture
def renderings(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[int]]]:
    """Every rendering made, as (for whom, rows); each payload names whom it was made for."""
    made: list[tuple[str, list[int]]] = []

    async def render(
        wanted: dict[int, tuple[Subscriber, Row]], _db: object, _tenant_id: int
    ) -> dict[int, str]:
        [representative] = {id(s): s for s, _row in wanted.values()}.values()
        made.append((who(representative.viewer), sorted(wanted)))
        await asyncio.sleep(0.01)  # a read on the way: the others ask meanwhile
        return {
            key: f'"{who(s.viewer)} {row.id} {s.request.query[:12]}"'
            for key, (s, row) in wanted.items()
        }

    monkeypatch.setattr(replay, "render", render)
    return made


STAFF = Viewer(kind=ViewerKind.STAFF, tenant_id=1, token_id=1, user_id=1, role=Role.MEMBER)


async def test_a_replay_is_rendered_once_per_request_and_kind_of_viewer(
    renderings: list[tuple[str, list[int]]],
) -> None:
    batch = ReplayBatch([Row(8), Row(9)], cast(Any, None), 1)
    same = [
        subscriber(STAFF),
        subscriber(replace(STAFF, token_id=2, user_id=2)),  # a colleague, the same role
    ]
    apart = [
        subscriber(replace(STAFF, tenant_id=2, token_id=3, user_id=3)),  # another tenant
        subscriber(replace(STAFF, token_id=4, user_id=4, role=Role.ADMIN)),
        subscriber(
            Viewer(kind=ViewerKind.CONTACT, tenant_id=1, token_id=5, contact_id=1, customer_id=1)
        ),
        subscriber(
            Viewer(kind=ViewerKind.CONTACT, tenant_id=1, token_id=6, contact_id=2, customer_id=2)
        ),
        subscriber(STAFF, variables={"caseId": "Q2FzZTo4"}),
        subscriber(STAFF, query=COMMENT_ADDED.replace("body", "id body")),
    ]
    everyone = [*same, *apart]
    tails = await asyncio.gather(*(batch.tails(s) for s in everyone))
    assert len(renderings) == len(apart) + 1
    for asked, got in zip(everyone, tails, strict=True):
        # Rendered for someone who is, for the payload, the same as whoever asked.
        made_for = who(asked.viewer) if asked in apart else who(same[0].viewer)
        query = asked.request.query[:12]
        assert got == [f'"{made_for} {n} {query}"}}' for n in (8, 9)]


async def test_a_shared_rendering_outlives_the_subscriber_it_was_made_for(
    renderings: list[tuple[str, list[int]]],
) -> None:
    batch = ReplayBatch([Row(8)], cast(Any, None), 1)
    first = asyncio.ensure_future(batch.tails(subscriber(STAFF)))
    second = asyncio.ensure_future(batch.tails(subscriber(replace(STAFF, token_id=2, user_id=2))))
    await asyncio.sleep(0)
    first.cancel()  # its client left while the batch was being rendered
    assert await second == [f'"{who(STAFF)} 8 {COMMENT_ADDED[:12]}"}}']
    assert len(renderings) == 1


async def test_replayed_messages_wait_for_a_socket_that_is_behind() -> None:
    class Behind(Outlet):
        def __init__(self) -> None:
            super().__init__()
            self.reading = asyncio.Event()

        async def drained(self) -> None:
            await self.reading.wait()

    outlet = Behind()
    replaying = subscriber(STAFF)
    replaying.outlet = outlet
    sending = asyncio.ensure_future(replaying.send_replayed(["a}", "b}"]))
    await asyncio.sleep(0.01)
    assert outlet.sent == []
    outlet.reading.set()
    await sending
    assert outlet.sent == [replaying.head + "a}", replaying.head + "b}"]


# Through the app: subscriptions made to resume at the same moment, as in a storm.


def replays_start_together(api: Api, monkeypatch: pytest.MonkeyPatch, count: int) -> list[Any]:
    """Holds each subscription's first replay read until `count` have asked, so that they
    ask in the same turn of the event loop; returns the list `after_first_read` coroutines
    run from, once, right after the first read (a write while they replay)."""
    reads = api.services.event_reads
    original = reads.replay
    everyone = asyncio.Event()
    asked = 0
    after_first_read: list[Any] = []

    async def together(key: Any, fetch: Any) -> Any:
        nonlocal asked
        if not everyone.is_set():
            asked += 1
            if asked == count:
                everyone.set()
            await everyone.wait()

        async def then_write() -> Any:
            rows = await fetch()
            while after_first_read:
                await after_first_read.pop()()
            return rows

        return await original(key, then_write)

    monkeypatch.setattr(reads, "replay", together)
    return after_first_read


async def test_subscriptions_resuming_together_read_their_replays_authors_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await api.new_tenant()
    anna = await tenant.create_user("Anna Lindqvist")
    erik = await tenant.create_user("Erik Johansson")
    case = await tenant.create_case()
    first = await tenant.add_comment(case, "ett")
    await tenant.add_comment(case, "två", anna["token"])
    await tenant.add_comment(case, "tre", erik["token"])
    tokens = [anna["token"], erik["token"], anna["token"], erik["token"]]
    replays_start_together(api, monkeypatch, len(tokens))
    async with AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(api.ws(t)) for t in tokens]
        async with api.counting_statements() as counter:
            for socket in sockets:
                await socket.subscribe(COMMENT_ADDED, {"caseId": case, "after": first})
            got = [[await socket.receive() for _ in range(2)] for socket in sockets]
    for messages in got:
        assert [m["payload"]["data"]["commentAdded"] for m in messages] == [
            {"body": "två", "author": {"name": "Anna Lindqvist"}},
            {"body": "tre", "author": {"name": "Erik Johansson"}},
        ]
    # One rendering of the batch for the four: its authors in one statement (with the
    # comments they wrote, where a read plan renders them).
    authors = [s for s in counter.statements if " users" in s and "access_tokens" not in s]
    assert len(authors) == 1, authors


async def test_resuming_together_on_both_protocols_replays_then_goes_live_in_order(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(follow, "REPLAY_BATCH", 2)  # the replay takes several batches
    tenant = await api.new_tenant()
    case = await tenant.create_case()
    first = await tenant.add_comment(case, "1")
    for body in "2345":
        await tenant.add_comment(case, body)
    after_first_read = replays_start_together(api, monkeypatch, 4)

    async def written_while_replaying() -> None:
        await tenant.add_comment(case, "6")

    after_first_read.append(written_while_replaying)
    variables = {"caseId": case, "after": first}
    async with AsyncExitStack() as stack:
        current = [await stack.enter_async_context(api.ws(tenant.admin_token)) for _ in "ab"]
        legacy = [
            await stack.enter_async_context(legacy_socket(api, tenant.admin_token)) for _ in "ab"
        ]
        for socket in current:
            await socket.subscribe(COMMENT_ADDED, variables)
        for socket in legacy:
            await socket.start("1", variables)

        async def bodies(receive: Any, count: int) -> list[str]:
            got = []
            for _ in range(count):
                message = await receive()
                assert message["type"] in ("next", "data"), message
                got.append(message["payload"]["data"]["commentAdded"]["body"])
            return got

        receivers = [s.receive for s in [*current, *legacy]]
        assert [await bodies(r, 5) for r in receivers] == [list("23456")] * 4
        channel = channels.case_comments(tenant.pk, pk_of(case, "Case") or 0)
        await until(lambda: len(api.services.live.subscribers_of(channel)) == 4)
        await tenant.add_comment(case, "7")
        assert [await bodies(r, 1) for r in receivers] == [["7"]] * 4
        for receive in receivers:
            with pytest.raises(TimeoutError):
                await receive(timeout=0.3)


OWN_SETTINGS = """subscription($caseId: ID!, $after: ID) {
  commentAdded(caseId: $caseId, after: $after) { body author { emailOnMention } } }"""


async def test_resuming_together_each_gets_what_they_may_see_of_a_replay(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same document and variables, the same moment: an administrator, the comment's
    # author and a colleague each get their own answer about the author's own settings.
    tenant = await api.new_tenant()
    anna = await tenant.create_user("Anna Lindqvist")
    erik = await tenant.create_user("Erik Johansson")
    case = await tenant.create_case()
    first = await tenant.add_comment(case, "ett")
    await tenant.add_comment(case, "två", anna["token"])
    viewers = {"admin": tenant.admin_token, "anna": anna["token"], "erik": erik["token"]}
    replays_start_together(api, monkeypatch, len(viewers))
    async with AsyncExitStack() as stack:
        sockets = {n: await stack.enter_async_context(api.ws(t)) for n, t in viewers.items()}
        for socket in sockets.values():
            await socket.subscribe(OWN_SETTINGS, {"caseId": case, "after": first})
        got = {name: (await socket.receive())["payload"] for name, socket in sockets.items()}
    seen = {
        name: (
            payload["data"]["commentAdded"]["author"] if payload.get("data") else None,
            [e["extensions"]["code"] for e in payload.get("errors", [])],
        )
        for name, payload in got.items()
    }
    assert seen["admin"] == ({"emailOnMention": True}, [])
    assert seen["anna"] == ({"emailOnMention": True}, [])
    assert seen["erik"][1] == ["FORBIDDEN"]
    assert seen["erik"][0] in (None, {"emailOnMention": None})


async def test_a_resuming_subscription_reads_four_statements_outside_any_transaction(
    api: Api,
) -> None:
    tenant = await api.new_tenant()
    case = await tenant.create_case()
    first = await tenant.add_comment(case, "ett")
    await tenant.add_comment(case, "två")
    read: list[tuple[str | None, str]] = []

    def note(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        isolation = connection.get_execution_options().get("isolation_level")
        read.append((isolation, statement))

    engines = {api.db.engine.sync_engine, api.db.read_engine.sync_engine}
    async with api.ws(tenant.admin_token) as socket:
        for engine in engines:
            event.listen(engine, "before_cursor_execute", note)
        try:
            await socket.subscribe(COMMENT_ADDED, {"caseId": case, "after": first})
            message = await socket.receive()
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", note)
    assert message["payload"]["data"]["commentAdded"]["body"] == "två"
    # The sign-in, the case, the replayed batch, and its rendering (the comments read again
    # with their authors joined, by a read plan); on PostgreSQL each on its own, without
    # BEGIN and ROLLBACK around it (SQLite has no such round trips to save).
    selects = [statement for _isolation, statement in read if statement.startswith("SELECT")]
    tables = [statement.partition("FROM ")[2].split(maxsplit=1)[:1] for statement in selects]
    assert sorted(tables) == [["access_tokens"], ["cases"], ["comments"], ["comments"]], read
    authors = [s for s in selects if " JOIN users " in s and "access_tokens" not in s]
    assert len(authors) == 1, read
    if api.backend == "postgres":
        assert {isolation for isolation, _table in read} == {"AUTOCOMMIT"}, read
