"""Outgoing webhooks: signed deliveries to a real local endpoint, retries, and refusals.

Each backend gets two servers of its own, each on a database of its own (so that no other
server's outbox sender takes their deliveries): one that may send to private networks,
whose webhooks point at the receiver on 127.0.0.1, and one that may not, as in production.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from config.settings import Settings
from db.models import Webhook
from graph.ids import pk_of, to_global_id
from tests.conftest import PostgresDatabase, serve
from tests.support.client import Api, Tenant, eventually
from tests.support.webhook_receiver import SLOW, Endpoint, Received, WebhookReceiver

TIMEOUT_SECONDS = 1.0
SECRET = "hemlig-nyckel-för-signaturer-0123456789"

SAVE = """mutation($input: SaveWebhookInput!) { saveWebhook(input: $input) {
  webhook { id url events active } secret userErrors { field message code } } }"""
DELETE = """mutation($id: ID!) { deleteWebhook(input: {id: $id}) {
  deletedId userErrors { field message code } } }"""
TEST = """mutation($id: ID!) { sendTestWebhook(input: {id: $id}) {
  delivery { id event status attempts } userErrors { field message code } } }"""
WEBHOOKS = "{ webhooks { id url events active } }"
DELIVERIES = """query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on Webhook {
  deliveries(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { id event status attempts responseStatus createdAt deliveredAt } } } } } }"""
UPDATE = """mutation($input: UpdateCaseInput!) { updateCase(input: $input) {
  case { id } userErrors { code } } }"""
DELETE_CASE = (
    """mutation($id: ID!) { deleteCase(input: {id: $id}) { deletedId userErrors { code } } }"""
)
SEND_MESSAGE = """mutation($input: SendCustomerMessageInput!) { sendCustomerMessage(input: $input) {
  message { id } userErrors { field message code } } }"""
PORTAL_SEND = """mutation($input: PortalSendMessageInput!) { portalSendMessage(input: $input) {
  message { id } userErrors { field message code } } }"""
PORTAL_CASES = "{ portalCases { edges { node { id } } } }"


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver(slow_seconds=TIMEOUT_SECONDS * 2).running() as running:
        yield running


async def _own_server(backend_settings: Settings, directory: Any, **overrides: Any) -> Any:
    """A server on a new database of the backend's; yields its Api."""
    postgres = None
    if backend_settings.database_url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{directory / 'webhooks.db'}"
        prefix = f"webhooks-{uuid.uuid4().hex[:12]}."
    else:
        postgres = PostgresDatabase()
        await postgres.create()
        url, prefix = postgres.url, f"{postgres.name}."
    settings = backend_settings.model_copy(
        update={
            "database_url": url,
            "broadcast_channel_prefix": prefix,
            "webhook_timeout_seconds": TIMEOUT_SECONDS,
            **overrides,
        }
    )
    backend = "sqlite" if postgres is None else "postgres"
    try:
        async for base_url, app in serve(settings):
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
                services = app.state.services
                yield Api(
                    base_url=base_url, http=http, db=services.db, backend=backend, services=services
                )
    finally:
        if postgres is not None:
            await postgres.drop()


@pytest.fixture(scope="module")
async def hooks_api(
    backend_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    """May send to the receiver on 127.0.0.1."""
    directory = tmp_path_factory.mktemp("webhooks")
    async for api in _own_server(backend_settings, directory, webhook_allow_private_networks=True):
        yield api


@pytest.fixture(scope="module")
async def strict_api(
    backend_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Api]:
    """Sends to public addresses only, as in production."""
    directory = tmp_path_factory.mktemp("webhooks-strict")
    async for api in _own_server(backend_settings, directory):
        yield api


async def save(tenant: Tenant, token: str | None = None, **given: Any) -> dict[str, Any]:
    data = await tenant.api.data(SAVE, {"input": given}, token or tenant.admin_token)
    payload: dict[str, Any] = data["saveWebhook"]
    return payload


async def hook(tenant: Tenant, endpoint: Endpoint, events: list[str], **given: Any) -> str:
    """Set-up: a webhook to the endpoint, signed with SECRET; its id."""
    saved = await save(tenant, url=endpoint.url, events=events, secret=SECRET, **given)
    assert saved["userErrors"] == [], saved
    webhook_id: str = saved["webhook"]["id"]
    return webhook_id


async def deliveries(tenant: Tenant, webhook_id: str, **paging: Any) -> dict[str, Any]:
    data = await tenant.api.data(DELIVERIES, {"id": webhook_id, **paging}, tenant.admin_token)
    found: dict[str, Any] = data["node"]["deliveries"]
    return found


async def settled(tenant: Tenant, webhook_id: str, count: int = 1) -> list[dict[str, Any]]:
    """The webhook's deliveries, newest first, once `count` of them are SENT or FAILED."""

    async def check() -> list[dict[str, Any]] | None:
        nodes = [e["node"] for e in (await deliveries(tenant, webhook_id))["edges"]]
        done = [n for n in nodes if n["status"] in ("SENT", "FAILED")]
        return nodes if len(done) >= count else None

    found: list[dict[str, Any]] = await eventually(check, timeout=20, what="deliveries")
    return found


def verify(received: Received, secret: str = SECRET) -> dict[str, Any]:
    """Checks the delivery as a receiver would; its JSON body."""
    timestamp = received.headers["x-workcloud-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(received.headers["x-workcloud-signature"], f"sha256={expected}")
    assert received.headers["content-type"] == "application/json"
    body = received.json
    assert received.headers["x-workcloud-delivery"] == body["id"]
    assert received.headers["x-workcloud-event"] == body["event"]
    return body


async def test_case_events_reach_the_endpoint_signed_with_global_ids(
    hooks_api: Api, receiver: WebhookReceiver
) -> None:
    tenant = await hooks_api.new_tenant()
    endpoint = receiver.endpoint()
    webhook_id = await hook(tenant, endpoint, ["CASE_REGISTERED", "CASE_UPDATED", "CASE_DELETED"])
    # Neither an inactive webhook nor another tenant's hears of these cases.
    idle = receiver.endpoint()
    await hook(tenant, idle, ["CASE_REGISTERED", "CASE_UPDATED"], active=False)
    other = await hooks_api.new_tenant("Grannen AB")
    elsewhere = receiver.endpoint()
    await hook(other, elsewhere, ["CASE_REGISTERED"])

    case = await tenant.register_case(title="Fläkten låter")
    await receiver.wait_for(endpoint)
    registered = verify(endpoint.received[0])
    assert registered["event"] == "CASE_REGISTERED"
    assert registered["tenantId"] == to_global_id("Tenant", tenant.pk)
    assert registered["data"]["case"] == {
        "id": case["id"],
        "number": case["number"],
        "title": "Fläkten låter",
    }
    assert {"field": "title", "from": None, "to": "Fläkten låter"} in registered["data"]["changes"]

    updated = await hooks_api.data(
        UPDATE, {"input": {"id": case["id"], "title": "Fläkten tyst"}}, tenant.admin_token
    )
    assert updated["updateCase"]["userErrors"] == []
    await tenant.add_comment(case["id"], "Inget för den här webhooken.")
    deleted = await hooks_api.data(DELETE_CASE, {"id": case["id"]}, tenant.admin_token)
    assert deleted["deleteCase"]["deletedId"] == case["id"]
    await receiver.wait_for(endpoint, 3)
    update_body, delete_body = (verify(r) for r in endpoint.received[1:])
    assert update_body["event"] == "CASE_UPDATED"
    assert update_body["data"] == {
        "case": {"id": case["id"], "number": case["number"], "title": "Fläkten tyst"},
        "changes": [{"field": "title", "from": "Fläkten låter", "to": "Fläkten tyst"}],
    }
    assert delete_body["event"] == "CASE_DELETED"
    assert delete_body["data"]["case"] == {
        "id": case["id"],
        "number": case["number"],
        "title": "Fläkten tyst",
    }

    nodes = await settled(tenant, webhook_id, 3)
    assert [n["event"] for n in nodes] == ["CASE_DELETED", "CASE_UPDATED", "CASE_REGISTERED"]
    assert [n["id"] for n in nodes] == [verify(r)["id"] for r in reversed(endpoint.received)]
    assert all(n["status"] == "SENT" and n["responseStatus"] == 200 for n in nodes)
    assert all(n["attempts"] == 1 and n["deliveredAt"] for n in nodes)
    assert len(endpoint.received) == 3
    assert idle.received == [] and elsewhere.received == []


async def test_comments_and_customer_messages_are_delivered(
    hooks_api: Api, receiver: WebhookReceiver
) -> None:
    tenant = await hooks_api.new_tenant()
    endpoint = receiver.endpoint()
    await hook(
        tenant,
        endpoint,
        ["COMMENT_ADDED", "CUSTOMER_MESSAGE_SENT", "CUSTOMER_MESSAGE_RECEIVED"],
    )
    customer = await tenant.create_customer("Brf Solbacken")
    contact = await tenant.create_portal_contact(customer["id"], "Karin Svensson")
    case = await tenant.register_case(
        title="Läckande element",
        customerId=customer["id"],
        contactId=contact["id"],
        visibleInPortal=True,
    )
    comment_id = await tenant.add_comment(case["id"], "Ring fastighetsskötaren.")
    sent = await hooks_api.data(
        SEND_MESSAGE,
        {"input": {"caseId": case["id"], "body": "Vi kommer på torsdag."}},
        tenant.admin_token,
    )
    assert sent["sendCustomerMessage"]["userErrors"] == []
    portal_case = (await hooks_api.data(PORTAL_CASES, token=contact["token"]))["portalCases"]
    received = await hooks_api.data(
        PORTAL_SEND,
        {"input": {"caseId": portal_case["edges"][0]["node"]["id"], "body": "Tack!"}},
        contact["token"],
    )
    assert received["portalSendMessage"]["userErrors"] == []

    await receiver.wait_for(endpoint, 3)
    comment, to_customer, from_customer = (verify(r) for r in endpoint.received)
    summary = {"id": case["id"], "number": case["number"], "title": "Läckande element"}
    admin_name = (await hooks_api.data("{ viewer { user { name } } }", token=tenant.admin_token))[
        "viewer"
    ]["user"]["name"]
    assert (comment["event"], comment["data"]) == (
        "COMMENT_ADDED",
        {
            "case": summary,
            "comment": {
                "id": comment_id,
                "body": "Ring fastighetsskötaren.",
                "authorName": admin_name,
            },
        },
    )
    assert (to_customer["event"], to_customer["data"]) == (
        "CUSTOMER_MESSAGE_SENT",
        {
            "case": summary,
            "message": {
                "id": sent["sendCustomerMessage"]["message"]["id"],
                "body": "Vi kommer på torsdag.",
                "direction": "TO_CUSTOMER",
                "authorName": admin_name,
            },
        },
    )
    assert (from_customer["event"], from_customer["data"]) == (
        "CUSTOMER_MESSAGE_RECEIVED",
        {
            "case": summary,
            "message": {
                "id": received["portalSendMessage"]["message"]["id"],
                "body": "Tack!",
                "direction": "FROM_CUSTOMER",
                "authorName": "Karin Svensson",
            },
        },
    )


async def test_a_ping_goes_whatever_the_events_and_lists_with_the_deliveries(
    hooks_api: Api, receiver: WebhookReceiver
) -> None:
    tenant = await hooks_api.new_tenant()
    endpoint = receiver.endpoint()
    webhook_id = await hook(tenant, endpoint, ["SLA_BREACHED"], active=False)
    ids = []
    for _ in range(3):
        tested = (await hooks_api.data(TEST, {"id": webhook_id}, tenant.admin_token))[
            "sendTestWebhook"
        ]
        assert tested["userErrors"] == []
        assert tested["delivery"]["event"] == "PING"
        assert tested["delivery"]["status"] == "PENDING"
        ids.append(tested["delivery"]["id"])
    await receiver.wait_for(endpoint, 3)
    bodies = [verify(r) for r in endpoint.received]
    assert sorted(b["id"] for b in bodies) == sorted(ids)
    assert all(b["event"] == "PING" and b["data"] == {"webhookId": webhook_id} for b in bodies)

    await settled(tenant, webhook_id, 3)
    first = await deliveries(tenant, webhook_id, first=2)
    assert first["totalCount"] == 3
    assert [e["node"]["id"] for e in first["edges"]] == ids[::-1][:2]
    rest = await deliveries(tenant, webhook_id, first=2, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in rest["edges"]] == ids[:1]
    assert not rest["pageInfo"]["hasNextPage"]
    node = await hooks_api.data(
        "query($id: ID!) { node(id: $id) { ... on WebhookDelivery { id event status } } }",
        {"id": ids[0]},
        tenant.admin_token,
    )
    assert node["node"] == {"id": ids[0], "event": "PING", "status": "SENT"}


async def test_a_failing_endpoint_is_retried_with_the_same_delivery_until_it_answers(
    hooks_api: Api, receiver: WebhookReceiver
) -> None:
    tenant = await hooks_api.new_tenant()
    endpoint = receiver.endpoint(500, SLOW, 429, 200)
    webhook_id = await hook(tenant, endpoint, ["COMMENT_ADDED"])
    case_id = await tenant.create_case()
    await tenant.add_comment(case_id, "Tredje gången gillt.")
    [delivery] = await settled(tenant, webhook_id)
    assert len(endpoint.received) == 4
    bodies = [verify(r) for r in endpoint.received]
    assert {b["id"] for b in bodies} == {delivery["id"]}
    assert {r.body for r in endpoint.received} == {endpoint.received[0].body}
    assert delivery["status"] == "SENT"
    assert (delivery["attempts"], delivery["responseStatus"]) == (4, 200)
    assert delivery["deliveredAt"] is not None


async def test_an_endpoint_that_keeps_failing_gets_as_many_attempts_as_mail(
    hooks_api: Api, receiver: WebhookReceiver
) -> None:
    tenant = await hooks_api.new_tenant()
    attempts = hooks_api.settings.outbox_max_attempts
    endpoint = receiver.endpoint(*[503] * attempts)
    webhook_id = await hook(tenant, endpoint, ["PING"])
    await hooks_api.data(TEST, {"id": webhook_id}, tenant.admin_token)
    [delivery] = await settled(tenant, webhook_id)
    assert (delivery["status"], delivery["attempts"]) == ("FAILED", attempts)
    assert delivery["responseStatus"] == 503 and delivery["deliveredAt"] is None
    assert len(endpoint.received) == attempts


@pytest.mark.parametrize("status", [400, 302])
async def test_a_refusal_or_a_redirect_fails_at_once(
    hooks_api: Api, receiver: WebhookReceiver, status: int
) -> None:
    tenant = await hooks_api.new_tenant()
    elsewhere = receiver.endpoint()
    endpoint = receiver.endpoint(status, redirect_to=elsewhere.url)
    webhook_id = await hook(tenant, endpoint, ["PING"])
    await hooks_api.data(TEST, {"id": webhook_id}, tenant.admin_token)
    [delivery] = await settled(tenant, webhook_id)
    assert (delivery["status"], delivery["attempts"]) == ("FAILED", 1)
    assert delivery["responseStatus"] == status
    assert len(endpoint.received) == 1
    assert elsewhere.received == []


async def test_a_secret_is_made_when_none_is_given_and_shown_only_when_set(
    hooks_api: Api, receiver: WebhookReceiver
) -> None:
    tenant = await hooks_api.new_tenant()
    endpoint = receiver.endpoint()
    created = await save(tenant, url=endpoint.url, events=["PING"])
    assert created["userErrors"] == []
    secret = created["secret"]
    assert isinstance(secret, str) and len(secret) >= 32
    webhook = created["webhook"]
    assert webhook == {"id": webhook["id"], "url": endpoint.url, "events": ["PING"], "active": True}

    kept = await save(
        tenant, id=webhook["id"], url=endpoint.url, events=["CASE_UPDATED", "PING"], active=False
    )
    assert kept["secret"] is None
    assert kept["webhook"]["events"] == ["CASE_UPDATED", "PING"]
    assert not kept["webhook"]["active"]
    await hooks_api.data(TEST, {"id": webhook["id"]}, tenant.admin_token)
    await receiver.wait_for(endpoint)
    verify(endpoint.received[0], secret)

    replaced = await save(
        tenant, id=webhook["id"], url=endpoint.url, events=["PING"], secret=SECRET
    )
    assert replaced["secret"] == SECRET
    await hooks_api.data(TEST, {"id": webhook["id"]}, tenant.admin_token)
    await receiver.wait_for(endpoint, 2)
    verify(endpoint.received[1], SECRET)
    assert (await hooks_api.data(WEBHOOKS, token=tenant.admin_token))["webhooks"] == [
        {"id": webhook["id"], "url": endpoint.url, "events": ["PING"], "active": True}
    ]

    short = await save(tenant, url=endpoint.url, events=["PING"], secret="kort")
    assert [e["field"] for e in short["userErrors"]] == [["input", "secret"]]
    none = await save(tenant, url=endpoint.url, events=[])
    assert [(e["field"], e["code"]) for e in none["userErrors"]] == [
        (["input", "events"], "REQUIRED")
    ]
    gone = await hooks_api.data(DELETE, {"id": webhook["id"]}, tenant.admin_token)
    assert gone["deleteWebhook"] == {"deletedId": webhook["id"], "userErrors": []}
    assert (await hooks_api.data(WEBHOOKS, token=tenant.admin_token))["webhooks"] == []
    assert (await hooks_api.data(DELIVERIES, {"id": webhook["id"]}, tenant.admin_token))[
        "node"
    ] is None


async def test_writing_deliveries_costs_the_same_statements_for_one_webhook_or_many(
    hooks_api: Api, receiver: WebhookReceiver
) -> None:
    tenant = await hooks_api.new_tenant()
    case_id = await tenant.create_case()

    async def cost() -> int:
        async with hooks_api.counting_statements() as counter:
            await tenant.add_comment(case_id, "Räknat.")
        return counter.count

    await hook(tenant, receiver.endpoint(), ["COMMENT_ADDED"])
    one = await cost()
    for _ in range(3):
        await hook(tenant, receiver.endpoint(), ["COMMENT_ADDED", "CASE_UPDATED"])
    assert await cost() == one


# Refusals, on the server that sends to public addresses only.

REFUSED_URLS = [
    "http://127.0.0.1/hook",
    "http://localhost:8080/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/hook",
    "http://2130706433/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "ftp://93.184.215.14/hook",
    "file:///etc/passwd",
    "not a url",
]


async def test_urls_of_private_networks_are_refused_when_saved(strict_api: Api) -> None:
    tenant = await strict_api.new_tenant()
    for url in REFUSED_URLS:
        refused = await save(tenant, url=url, events=["PING"])
        assert refused["webhook"] is None and refused["secret"] is None, url
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
            (["input", "url"], "INVALID")
        ], (url, refused)
    blank = await save(tenant, url=" ", events=["PING"])
    assert [e["code"] for e in blank["userErrors"]] == ["REQUIRED"]
    assert (await strict_api.data(WEBHOOKS, token=tenant.admin_token))["webhooks"] == []
    public = await save(tenant, url="https://93.184.215.14/hook", events=["PING"])
    assert public["userErrors"] == []
    # Changing an existing one to a private address is refused as well, and changes nothing.
    changed = await save(
        tenant, id=public["webhook"]["id"], url="http://localhost/hook", events=["PING"]
    )
    assert [e["field"] for e in changed["userErrors"]] == [["input", "url"]]
    assert (await strict_api.data(WEBHOOKS, token=tenant.admin_token))["webhooks"] == [
        public["webhook"]
    ]


async def test_a_url_that_now_points_to_a_private_address_fails_when_sent(
    strict_api: Api, receiver: WebhookReceiver
) -> None:
    tenant = await strict_api.new_tenant()
    saved = await save(tenant, url="http://93.184.215.14/hook", events=["PING"], secret=SECRET)
    webhook_id = saved["webhook"]["id"]
    endpoint = receiver.endpoint()
    # As if its name resolved elsewhere since: the URL now leads to the receiver on loopback.
    async with strict_api.db.transaction(None) as session:
        await session.execute(
            update(Webhook)
            .where(Webhook.id == pk_of(webhook_id, "Webhook"))
            .values(url=endpoint.url)
        )
    await strict_api.data(TEST, {"id": webhook_id}, tenant.admin_token)
    [delivery] = await settled(tenant, webhook_id)
    assert (delivery["status"], delivery["attempts"]) == ("FAILED", 1)
    assert delivery["responseStatus"] is None
    assert endpoint.received == []


async def test_only_admins_reach_webhooks_and_only_their_own_tenants(strict_api: Api) -> None:
    tenant = await strict_api.new_tenant()
    saved = await save(tenant, url="https://93.184.215.14/hook", events=["PING"])
    webhook_id = saved["webhook"]["id"]
    member = await tenant.create_user("Erik Johansson")
    customer = await tenant.create_customer("Brf Solbacken")
    contact = await tenant.create_portal_contact(customer["id"])
    given = {"url": "https://93.184.215.14/other", "events": ["PING"]}
    for token in (member["token"], contact["token"]):
        assert await strict_api.error_codes(WEBHOOKS, token=token) == ["FORBIDDEN"]
        for query, variables in [
            (SAVE, {"input": given}),
            (DELETE, {"id": webhook_id}),
            (TEST, {"id": webhook_id}),
        ]:
            assert await strict_api.error_codes(query, variables, token) == ["FORBIDDEN"]
    nodes = "query($id: ID!) { node(id: $id) { id } }"
    member_view = await strict_api.data(nodes, {"id": webhook_id}, member["token"])
    assert member_view["node"] is None

    other = await strict_api.new_tenant("Grannen AB")
    assert (await strict_api.data(nodes, {"id": webhook_id}, other.admin_token))["node"] is None
    assert (await strict_api.data(WEBHOOKS, token=other.admin_token))["webhooks"] == []
    not_found = [
        {"field": ["input", "id"], "message": "The webhook was not found.", "code": "NOT_FOUND"}
    ]
    foreign_save = await save(other, id=webhook_id, **given)
    assert foreign_save["userErrors"] == not_found
    foreign_delete = await strict_api.data(DELETE, {"id": webhook_id}, other.admin_token)
    assert foreign_delete["deleteWebhook"] == {"deletedId": None, "userErrors": not_found}
    foreign_test = await strict_api.data(TEST, {"id": webhook_id}, other.admin_token)
    assert foreign_test["sendTestWebhook"] == {"delivery": None, "userErrors": not_found}
    assert (await strict_api.data(WEBHOOKS, token=tenant.admin_token))["webhooks"] == [
        saved["webhook"]
    ]
    assert (await deliveries(tenant, webhook_id))["totalCount"] == 0
