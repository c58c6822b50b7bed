"""An open WebSocket follows its sign-in: each operation runs with the token as it is now,
and a sign-in that ends (logout, a new password, portal access taken away, expiry) closes
its sockets with 4403 at once, on both protocols and on every instance."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.support.client import PASSWORD, Api, Tenant, eventually

PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]
ADD_COMMENT = """mutation($input: AddCommentInput!) { addComment(input: $input) {
  comment { id } userErrors { code } } }"""
COMMENTS = "query($id: ID!) { case(id: $id) { comments { edges { node { body } } } } }"
COMMENT_ADDED = """subscription($id: ID!, $after: ID) {
  commentAdded(caseId: $id, after: $after) { body } }"""


class Socket:
    """Either protocol, as far as these tests need: sign in, start an operation, read."""

    def __init__(self, connection: ClientConnection, protocol: str) -> None:
        self.connection = connection
        self.protocol = protocol
        self._next = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def init(self, token: str) -> None:
        await self.send(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        )
        assert (await self.receive())["type"] == "connection_ack"

    async def start(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._next += 1
        kind = "subscribe" if self.protocol == "graphql-transport-ws" else "start"
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": str(self._next), "type": kind, "payload": payload})
        return str(self._next)

    async def start_live(
        self, query: str, variables: dict[str, Any], *, replayed: dict[str, Any]
    ) -> str:
        """Starts a subscription whose `after` leaves one item to replay (matching the fields
        in `replayed`), and returns once it has arrived: the subscription is live then."""
        operation = await self.start(query, variables)
        message = await self.receive()
        assert message["id"] == operation, message
        assert message["type"] in ("next", "data"), message
        [item] = message["payload"]["data"].values()
        assert {key: item.get(key) for key in replayed} == replayed, message
        return operation

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(
                await asyncio.wait_for(self.connection.recv(), timeout)
            )
            if message["type"] == "ping":
                await self.send({"type": "pong"})
            elif message["type"] != "ka":
                return message

    async def close_code(self, timeout: float = 5.0) -> int | None:
        """Reads until the server closes the socket; the code it closed with."""
        try:
            while True:
                await self.receive(timeout)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None


@asynccontextmanager
async def signed_in(api: Api, token: str, protocol: str) -> AsyncIterator[Socket]:
    async with api.raw_ws(protocol) as connection:
        socket = Socket(connection, protocol)
        await socket.init(token)
        yield socket


async def follow_comments_live(socket: Socket, tenant: Tenant, case_id: str) -> None:
    """Two comments on the case, and a subscription after the first, live once it has replayed
    the second."""
    first = await tenant.add_comment(case_id, "ett")
    await tenant.add_comment(case_id, "två")
    variables = {"id": case_id, "after": first}
    await socket.start_live(COMMENT_ADDED, variables, replayed={"body": "två"})


async def comment_bodies(api: Api, tenant: Tenant, case_id: str) -> list[str]:
    data = await api.data(COMMENTS, {"id": case_id}, tenant.admin_token)
    return [edge["node"]["body"] for edge in data["case"]["comments"]["edges"]]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_logging_out_elsewhere_closes_the_socket_at_once(api: Api, protocol: str) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    case_id = await tenant.create_case()
    async with signed_in(api, erik["token"], protocol) as socket:
        await follow_comments_live(socket, tenant, case_id)
        started = time.monotonic()
        await api.data("mutation { logout { ok } }", token=erik["token"])
        # Closed without the client sending anything: pings cannot keep it alive.
        assert await socket.close_code() == 4403
        assert time.monotonic() - started < 5


OPERATIONS: dict[str, Callable[[str], tuple[str, dict[str, Any]]]] = {
    "mutation": lambda case_id: (ADD_COMMENT, {"input": {"caseId": case_id, "body": "smygande"}}),
    "query": lambda case_id: (COMMENTS, {"id": case_id}),
    "replay": lambda case_id: (
        "subscription($id: ID!, $after: ID) { commentAdded(caseId: $id, after: $after) { body } }",
        {"id": case_id, "after": None},
    ),
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("ending", ["revoked", "expired"])
async def test_no_operation_runs_on_a_token_that_stopped_working(
    api: Api, protocol: str, operation: str, ending: str
) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    case_id = await tenant.create_case()
    await api.data(ADD_COMMENT, {"input": {"caseId": case_id, "body": "intern"}}, erik["token"])
    async with signed_in(api, erik["token"], protocol) as socket:
        # In the database alone (a lost announcement, or an expiry passing): the socket is
        # still open, and its next operation must find out by itself.
        if ending == "revoked":
            await api.end_sign_in_quietly(erik["token"])
        else:
            await api.end_sign_in_quietly(erik["token"], expires_in=0)
        query, variables = OPERATIONS[operation](case_id)
        await socket.start(query, variables)
        assert await socket.close_code() == 4403
    assert await comment_bodies(api, tenant, case_id) == ["intern"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_socket_closes_when_its_token_expires(api: Api, protocol: str) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    await api.end_sign_in_quietly(erik["token"], expires_in=1.0)
    async with signed_in(api, erik["token"], protocol) as socket:
        started = time.monotonic()
        assert await socket.close_code(timeout=5) == 4403
        assert time.monotonic() - started < 3


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_new_password_closes_the_other_sessions_sockets(api: Api, protocol: str) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    phone = await api.login(erik["email"])
    async with (
        signed_in(api, phone, protocol) as other,
        signed_in(api, erik["token"], protocol) as own,
    ):
        changed = await api.data(
            """mutation($input: ChangePasswordInput!) { changePassword(input: $input) { ok } }""",
            {"input": {"currentPassword": PASSWORD, "newPassword": "ett helt nytt lösen"}},
            erik["token"],
        )
        assert changed["changePassword"]["ok"] is True
        assert await other.close_code() == 4403
        # The session that changed it carries on.
        operation = await own.start("{ viewer { kind } }")
        answer = await own.receive()
        assert answer["id"] == operation
        assert answer["payload"]["data"] == {"viewer": {"kind": "STAFF"}}


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_new_portal_password_ends_the_contacts_sessions(api: Api, protocol: str) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    old_token = contact["token"]
    async with signed_in(api, old_token, protocol) as socket:
        enabled = await api.data(
            """mutation($input: EnablePortalAccessInput!) { enablePortalAccess(input: $input)
                 { userErrors { code } } }""",
            {"input": {"contactId": contact["id"], "password": "ett nytt portallösen"}},
            tenant.admin_token,
        )
        assert enabled["enablePortalAccess"]["userErrors"] == []
        assert await socket.close_code() == 4403
    assert await api.error_codes("{ viewer { kind } }", token=old_token) == ["UNAUTHENTICATED"]


async def test_a_sign_in_ended_on_one_instance_closes_sockets_on_another(
    api: Api, api_with: Callable[..., AbstractAsyncContextManager[Api]]
) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    case_id = await tenant.create_case()
    async with (
        api_with() as other_instance,
        signed_in(other_instance, erik["token"], PROTOCOLS[0]) as socket,
    ):
        await api.data("mutation { logout { ok } }", token=erik["token"])
        if api.backend == "postgres":
            # Over Redis the announcement reaches the other instance, which closes it.
            assert await socket.close_code() == 4403
        else:
            # Two embedded servers share no bus; the next operation still finds out.
            query, variables = OPERATIONS["mutation"](case_id)
            await socket.start(query, variables)
            assert await socket.close_code() == 4403
    assert await comment_bodies(api, tenant, case_id) == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_socket_signs_in_once(
    api: Api, protocol: str, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    admin = tenant.admin_token
    before = asyncio.all_tasks()
    # More rounds than the per-viewer limit: a refused second sign-in must free its slot.
    for _ in range(api.settings.max_connections_per_viewer + 5):
        async with signed_in(api, erik["token"], protocol) as socket:
            await socket.send(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {admin}"}}
            )
            assert await socket.close_code() == 4429
    async with signed_in(api, erik["token"], protocol) as socket:
        operation = await socket.start("{ viewer { user { name } } }")
        answer = await socket.receive()
        assert answer["id"] == operation
        assert answer["payload"]["data"] == {"viewer": {"user": {"name": "Erik Johansson"}}}

    # Nothing the closed sockets left behind failed unseen (keep-alive tasks, closers): once
    # every task started since has ended, collecting them reports any unretrieved failure.
    async def all_ended() -> bool:
        return not asyncio.all_tasks() - before - {asyncio.current_task()}

    await eventually(all_ended, what="the closed sockets' tasks to end")
    gc.collect()
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_socket_that_never_signs_in_is_closed(
    api_with: Callable[..., AbstractAsyncContextManager[Api]], protocol: str
) -> None:
    async with api_with(ws_init_timeout_seconds=0.5) as api, api.raw_ws(protocol) as connection:
        started = time.monotonic()
        assert await Socket(connection, protocol).close_code() == 4408
        assert time.monotonic() - started < 3


MALFORMED: dict[str, dict[str, Any] | list[Any] | int] = {
    "a number for a query": {"id": "1", "payload": {"query": 5}},
    "a list for a query": {"id": "1", "payload": {"query": ["{ viewer { kind } }"]}},
    "a number for an id": {"id": 1, "payload": {"query": "{ viewer { kind } }"}},
    "an empty id": {"id": "", "payload": {"query": "{ viewer { kind } }"}},
    "a very long id": {"id": "x" * 1000, "payload": {"query": "{ viewer { kind } }"}},
    "a list for a payload": {"id": "1", "payload": ["{ viewer { kind } }"]},
    "a string for variables": {
        "id": "1",
        "payload": {"query": "{ viewer { kind } }", "variables": "{}"},
    },
    "a number for an operation name": {
        "id": "1",
        "payload": {"query": "{ viewer { kind } }", "operationName": 7},
    },
    "a list for a message": [1, 2, 3],
    "a number for a message": 42,
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("shape", sorted(MALFORMED))
async def test_a_malformed_operation_closes_the_socket_as_the_protocol_says(
    api: Api, protocol: str, shape: str
) -> None:
    tenant = await api.new_tenant()
    message = MALFORMED[shape]
    if isinstance(message, dict):
        message = {
            **message,
            "type": "subscribe" if protocol == "graphql-transport-ws" else "start",
        }
    async with signed_in(api, tenant.admin_token, protocol) as socket:
        await socket.send(message)  # type: ignore[arg-type]
        assert await socket.close_code() == 4400


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_queries_and_mutations_run_over_either_protocol(api: Api, protocol: str) -> None:
    tenant = await api.new_tenant()
    case_id = await tenant.create_case()
    async with signed_in(api, tenant.admin_token, protocol) as socket:
        query, variables = OPERATIONS["mutation"](case_id)
        operation = await socket.start(query, variables)
        answer = await socket.receive()
        assert answer["id"] == operation, answer
        assert answer["payload"]["data"]["addComment"]["userErrors"] == []
        assert (await socket.receive())["type"] == "complete"
    assert await comment_bodies(api, tenant, case_id) == ["smygande"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_sockets_signing_in_at_once_are_each_signed_in_as_their_own_token(
    api: Api, protocol: str
) -> None:
    # Tokens asked for together are read in one statement: each socket must still get its
    # own viewer, of its own tenant, and a token that stopped working must not ride along.
    kvarnen, sjobris = await api.new_tenant(), await api.new_tenant("Sjöbris Fastigheter AB")
    erik = await kvarnen.create_user("Erik Johansson")
    anna = await sjobris.create_user("Anna Lind")
    stina = await sjobris.create_user("Stina Berg")
    await api.end_sign_in_quietly(stina["token"])
    signed_in_as = {
        erik["token"]: erik["email"],
        anna["token"]: anna["email"],
        kvarnen.admin_token: kvarnen.admin_email,
        sjobris.admin_token: sjobris.admin_email,
    }

    async def whose(token: str) -> str | None:
        async with api.raw_ws(protocol) as connection:
            socket = Socket(connection, protocol)
            await socket.send(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            )
            try:
                if (await socket.receive())["type"] != "connection_ack":
                    return None
            except ConnectionClosed:
                return None
            operation = await socket.start("{ viewer { user { email } } }")
            answer = await socket.receive()
            assert answer["id"] == operation, answer
            email: str = answer["payload"]["data"]["viewer"]["user"]["email"]
            return email

    tokens = [*signed_in_as, *signed_in_as, stina["token"]]
    answers = await asyncio.gather(*(whose(token) for token in tokens))
    assert answers == [*signed_in_as.values(), *signed_in_as.values(), None]
