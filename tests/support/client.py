"""One client for every test: GraphQL over HTTP and over graphql-transport-ws WebSockets."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event, update
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from config.settings import Settings
from db.engine import Database
from db.models import AccessToken
from domain import signin
from domain.tenants import create_tenant
from graph.context import Services
from messaging.sender import OutboxSender
from tests.support.mail_server import MailServer
from tests.support.sms_gateway import SmsGateway

PASSWORD = "correct horse battery"
# Tasks of the server that query on their own schedule; statement counts leave them out.
BACKGROUND_JOBS = {"outbox-sender", "deadline-reminders", "sla-alerts"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class GraphQLErrors(AssertionError):
    pass


async def eventually(
    check: Callable[[], Awaitable[Any]], *, timeout: float = 10, what: str = "condition"
) -> Any:
    """Polls `check` until it returns something truthy (background work, e.g. the outbox)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class StatementCounter:
    count: int = 0
    statements: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Delivery:
    mail: MailServer
    sms: SmsGateway
    outbox_sender: OutboxSender


@dataclass
class Api:
    base_url: str
    http: httpx.AsyncClient
    db: Database
    backend: str
    services: Services
    # The outside world the app delivers to; absent for servers started elsewhere.
    delivery: Delivery | None = None

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def mail(self) -> MailServer:
        assert self.delivery is not None
        return self.delivery.mail

    @property
    def sms(self) -> SmsGateway:
        assert self.delivery is not None
        return self.delivery.sms

    @property
    def outbox_sender(self) -> OutboxSender:
        assert self.delivery is not None
        return self.delivery.outbox_sender

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The whole GraphQL response (data and errors) of a POST."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The data of a request that must succeed without GraphQL errors."""
        body = await self.post(query, variables, token)
        if body.get("errors"):
            raise GraphQLErrors(json.dumps(body["errors"], indent=1))
        data: dict[str, Any] = body["data"]
        return data

    async def error_codes(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> list[str]:
        body = await self.post(query, variables, token)
        return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]

    @asynccontextmanager
    async def ws(self, token: str | None) -> AsyncIterator[GraphQLSocket]:
        url = self.base_url.replace("http", "ws", 1) + "/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            client = GraphQLSocket(socket)
            await client.init({"authorization": f"Bearer {token}"} if token else {})
            yield client

    @asynccontextmanager
    async def raw_ws(
        self, protocol: str = "graphql-transport-ws", *, origin: str | None = None
    ) -> AsyncIterator[ClientConnection]:
        """A socket at /graphql that has said nothing yet (for protocol-level tests); with
        `origin`, opened as a page of that origin in a browser would open it."""
        url = self.base_url.replace("http", "ws", 1) + "/graphql"
        async with connect(
            url,
            subprotocols=[protocol],  # type: ignore[list-item]
            origin=Origin(origin) if origin is not None else None,
        ) as socket:
            yield socket

    @asynccontextmanager
    async def counting_statements(self) -> AsyncIterator[StatementCounter]:
        counter = StatementCounter()

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            task = asyncio.current_task()
            if task is not None and task.get_name() in BACKGROUND_JOBS:
                return
            counter.count += 1
            counter.statements.append(statement)

        engines = {self.db.engine.sync_engine, self.db.read_engine.sync_engine}
        for engine in engines:
            event.listen(engine, "before_cursor_execute", count)
        try:
            yield counter
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", count)

    async def login(self, email: str, password: str = PASSWORD) -> str:
        data = await self.data(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) "
            "{ token userErrors { code } } }",
            {"e": email, "p": password},
        )
        token: str = data["login"]["token"]
        return token

    async def end_sign_in_quietly(self, token: str, *, expires_in: float | None = None) -> None:
        """Makes a token stop working, in the database alone: revoked now, or expiring in
        `expires_in` seconds (0: expired now). As if the announcement of a revocation had been
        lost on the way, or an expiry had passed unseen."""
        row = AccessToken.token_hash == signin.token_digest(token)
        async with self.db.transaction(None) as session:
            if expires_in is not None:
                moment = datetime.now(UTC) + timedelta(seconds=expires_in)
                await session.execute(update(AccessToken).where(row).values(expires_at=moment))
            else:
                await session.execute(
                    update(AccessToken).where(row).values(revoked_at=datetime.now(UTC))
                )

    async def new_tenant(self, name: str = "Kvarnen Service AB") -> Tenant:
        """Set-up only: a tenant and its admin, created the way `create-tenant` does."""
        email = f"{unique('admin')}@example.se"
        async with self.db.transaction(None) as session:
            tenant, _admin = await create_tenant(
                session, name=name, admin_email=email, admin_password=PASSWORD
            )
        return Tenant(self, tenant.id, email, await self.login(email))


@dataclass
class Tenant:
    api: Api
    pk: int
    admin_email: str
    admin_token: str

    async def create_user(
        self,
        name: str = "Erik Johansson",
        handle: str | None = None,
        role: str = "MEMBER",
        phone: str | None = None,
    ) -> dict[str, Any]:
        """A staff user of this tenant (by the admin, over the API), with a signed-in token."""
        email = f"{unique('user')}@example.se"
        data = await self.api.data(
            """mutation($input: CreateUserInput!) { createUser(input: $input) {
                 user { id name email handle role } userErrors { field message code } } }""",
            {
                "input": {
                    "email": email,
                    "name": name,
                    "password": PASSWORD,
                    "handle": handle or unique("h"),
                    "role": role,
                    "phone": phone,
                }
            },
            self.admin_token,
        )
        assert data["createUser"]["userErrors"] == [], data
        user: dict[str, Any] = data["createUser"]["user"]
        user["token"] = await self.api.login(email)
        return user

    async def add_comment(self, case_id: str, body: str, token: str | None = None) -> str:
        """A comment on a case (by the admin unless `token`); must succeed. Its global id."""
        data = await self.api.data(
            """mutation($input: AddCommentInput!) { addComment(input: $input) {
                 comment { id } userErrors { field message code } } }""",
            {"input": {"caseId": case_id, "body": body}},
            token or self.admin_token,
        )
        assert data["addComment"]["userErrors"] == [], data
        comment_id: str = data["addComment"]["comment"]["id"]
        return comment_id

    async def create_case(self, title: str = "Läckage i tvättstugan") -> str:
        """Set-up: a case registered by the admin with the settings' defaults; its global id."""
        case = await self.register_case(title=title)
        case_id: str = case["id"]
        return case_id

    async def create_customer(self, name: str = "Brf Solbacken", **extra: Any) -> dict[str, Any]:
        data = await self.api.data(
            """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
                 customer { id name } userErrors { field message code } } }""",
            {"input": {"name": name, **extra}},
            self.admin_token,
        )
        assert data["createCustomer"]["userErrors"] == [], data
        customer: dict[str, Any] = data["createCustomer"]["customer"]
        return customer

    async def create_contact(
        self,
        customer_id: str,
        name: str = "Karin Svensson",
        email: str | None = None,
        *,
        phone: str | None = None,
    ) -> dict[str, Any]:
        data = await self.api.data(
            """mutation($input: CreateContactInput!) { createContact(input: $input) {
                 contact { id name email } userErrors { field message code } } }""",
            {"input": {"customerId": customer_id, "name": name, "email": email, "phone": phone}},
            self.admin_token,
        )
        assert data["createContact"]["userErrors"] == [], data
        contact: dict[str, Any] = data["createContact"]["contact"]
        return contact

    async def sign_in_to_portal(self, contact: dict[str, Any]) -> str:
        """Gives the contact portal access and signs in with it; returns the portal token."""
        enabled = await self.api.data(
            """mutation($input: EnablePortalAccessInput!) { enablePortalAccess(input: $input)
                 { userErrors { field message code } } }""",
            {"input": {"contactId": contact["id"], "password": PASSWORD}},
            self.admin_token,
        )
        assert enabled["enablePortalAccess"]["userErrors"] == [], enabled
        login = await self.api.data(
            """mutation($e: String!, $p: String!) { portalLogin(email: $e, password: $p)
                 { token userErrors { code } } }""",
            {"e": contact["email"], "p": PASSWORD},
        )
        token: str = login["portalLogin"]["token"]
        return token

    async def create_portal_contact(
        self,
        customer_id: str,
        name: str = "Karin Svensson",
        *,
        email: str | None = None,
        phone: str | None = None,
    ) -> dict[str, Any]:
        """A contact (with a unique e-mail unless one is given) signed in to the portal:
        its portal token is under "token".
        """
        address = email or f"{unique('kontakt')}@kund.example.se"
        contact = await self.create_contact(customer_id, name, address, phone=phone)
        contact["token"] = await self.sign_in_to_portal(contact)
        return contact

    async def update_settings(self, **changes: Any) -> None:
        """Changes the case-module settings as the admin, e.g. smsEnabled=True."""
        data = await self.api.data(
            """mutation($input: UpdateCaseModuleSettingsInput!) {
                 updateCaseModuleSettings(input: $input) { userErrors { field message code } } }""",
            {"input": changes},
            self.admin_token,
        )
        assert data["updateCaseModuleSettings"]["userErrors"] == [], data

    async def create_object(self, name: str = "Tvättstuga", **extra: Any) -> dict[str, Any]:
        data = await self.api.data(
            """mutation($input: CreateObjectInput!) { createObject(input: $input) {
                 object { id name } userErrors { field message code } } }""",
            {"input": {"name": name, **extra}},
            self.admin_token,
        )
        assert data["createObject"]["userErrors"] == [], data
        obj: dict[str, Any] = data["createObject"]["object"]
        return obj

    async def create_group(self, name: str, member_ids: list[str]) -> dict[str, Any]:
        data = await self.api.data(
            """mutation($input: CreateGroupInput!) { createGroup(input: $input) {
                 group { id name } userErrors { field message code } } }""",
            {"input": {"name": name, "memberIds": member_ids}},
            self.admin_token,
        )
        assert data["createGroup"]["userErrors"] == [], data
        group: dict[str, Any] = data["createGroup"]["group"]
        return group

    async def options(self) -> dict[str, dict[str, str]]:
        """The ids of the case module's options by name: {"statuses": {"Ny": id}, ...}."""
        data = await self.api.data(
            """{ caseModuleSettings { types { id name } priorities { id name }
                 statuses { id name } taskTemplates { id name } formTemplates { id name } } }""",
            token=self.admin_token,
        )
        settings = data["caseModuleSettings"]
        return {kind: {o["name"]: o["id"] for o in found} for kind, found in settings.items()}

    async def register_case(self, token: str | None = None, **given: Any) -> dict[str, Any]:
        """A case registered over the API (by the admin unless `token`); must succeed."""
        data = await self.api.data(
            """mutation($input: RegisterCaseInput!) { registerCase(input: $input) {
                 case { id number title } userErrors { field message code } } }""",
            {"input": {"title": "Läckande kran", **given}},
            token or self.admin_token,
        )
        assert data["registerCase"]["userErrors"] == [], data
        case: dict[str, Any] = data["registerCase"]["case"]
        return case


class GraphQLSocket:
    """The graphql-transport-ws protocol, as the `graphql-ws` npm client speaks it."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self._next_id = 0

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        while True:
            raw = await asyncio.wait_for(self.socket.recv(), timeout)
            message: dict[str, Any] = json.loads(raw)
            if message.get("type") == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def init(self, payload: dict[str, Any]) -> None:
        await self.send({"type": "connection_init", "payload": payload})
        ack = await self.receive()
        assert ack["type"] == "connection_ack", ack

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._next_id += 1
        operation_id = str(self._next_id)
        await self.send(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
        return operation_id

    async def subscribe_live(
        self, query: str, variables: dict[str, Any], *, replayed: dict[str, Any]
    ) -> str:
        """Subscribes with an `after` that leaves one item to replay, and returns once that
        item (matching the fields in `replayed`) has arrived: the protocol acknowledges no
        subscription, but one that has replayed is live, and gets whatever commits next."""
        assert variables.get("after") is not None, variables
        operation_id = await self.subscribe(query, variables)
        message = await self.receive()
        assert message["id"] == operation_id, message
        assert message["type"] == "next", message
        [item] = message["payload"]["data"].values()
        assert {key: item.get(key) for key in replayed} == replayed, message
        return operation_id

    async def assert_quiet(self, seconds: float = 0.5) -> None:
        """Nothing arrives for `seconds`: only for what must not happen. Where an answer can
        come first, ask for one before (`execute` checks that it arrives before anything)."""
        try:
            message = await self.receive(timeout=seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message {message}")

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """A query or mutation over the socket: its single `next` payload."""
        operation_id = await self.subscribe(query, variables)
        message = await self.receive()
        assert message["id"] == operation_id, message
        assert message["type"] == "next", message
        payload: dict[str, Any] = message["payload"]
        complete = await self.receive()
        assert complete == {"id": operation_id, "type": "complete"}, complete
        return payload
