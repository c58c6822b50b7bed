"""Subscriptions starting together (a reconnect storm) share their reads: a sign-in, a case
and a replay are each read once for everyone asking at the same moment, never from a read
already on its way, and never across tenants or kinds of viewer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

import pytest

from domain import signin
from domain.viewer import Viewer, ViewerKind
from graph.live.event_reads import EventReads
from graph.live.follow import replay_key
from graph.live.sockets.sign_ins import SocketSignIns
from tests.support.client import Api

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
