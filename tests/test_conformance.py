"""Real clients against the real server: the graphql-http audit, graphql-ws (npm) and gql (Python).

The npm packages are installed from tests/js/package-lock.json by `./dev test` (`npm ci`).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from tests.support.client import Api, eventually

ApiWith = Callable[..., AbstractAsyncContextManager[Api]]

JS = Path(__file__).parent / "js"
ADD_COMMENT = """mutation($caseId: ID!, $body: String!) {
  addComment(input: {caseId: $caseId, body: $body}) { comment { id } userErrors { code } } }"""
NOTIFICATIONS = "{ viewer { notifications(first: 1) { edges { node { id } } } } }"
NOTIFICATION_RECEIVED = """subscription($after: ID) { notificationReceived(after: $after) {
  id kind comment { body } } }"""


def node() -> str:
    path = shutil.which("node")
    assert path is not None, "node is needed for the conformance tests (node 20 and npm)"
    assert (JS / "node_modules" / "graphql-ws").is_dir(), (
        "npm packages missing: run `./dev test` (it runs `npm ci` in tests/js)"
    )
    return path


async def run_node(*args: str, timeout: float = 120, succeeds: bool = True) -> str:
    process = await asyncio.create_subprocess_exec(
        node(), *args, cwd=JS, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    assert (process.returncode == 0) is succeeds, stderr.decode()
    return stdout.decode()


def websocket_url(api: Api) -> str:
    return api.base_url.replace("http", "ws", 1) + "/graphql"


async def test_graphql_over_http_audit_passes(api_with: ApiWith) -> None:
    # The audit checks variables with `__type(name: $name)`, so introspection is on here.
    async with api_with(introspection=True) as api:
        report = json.loads(await run_node("audit.mjs", f"{api.base_url}/graphql"))
    assert len(report) > 30
    musts = [r for r in report if r["name"].startswith("MUST")]
    assert musts
    failed = [r for r in report if r["status"] != "ok"]
    assert failed == [], json.dumps(failed, indent=1)


async def test_graphql_response_json_is_served_when_asked_for(api: Api) -> None:
    asked = {"Accept": "application/graphql-response+json"}
    ok = await api.http.post("/graphql", json={"query": "{ __typename }"}, headers=asked)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    broken = await api.http.post("/graphql", json={"query": "{"}, headers=asked)
    assert broken.status_code == 400
    assert "data" not in broken.json()
    # Plain JSON keeps 200 for a well-formed request, with data null.
    legacy = await api.http.post("/graphql", json={"query": "{"})
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")
    malformed = await api.http.post(
        "/graphql", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["errors"][0]["message"]


async def mention_notification(api: Api) -> tuple[dict[str, Any], str, Any]:
    """A user with one notification already; returns the user, a case, and a commenter."""
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson", handle="erik")
    anna = await tenant.create_user("Anna Lindqvist", handle="anna")
    case_id = await tenant.create_case()
    await api.data(ADD_COMMENT, {"caseId": case_id, "body": "@erik första"}, anna["token"])
    return erik, case_id, anna


async def test_graphql_ws_client_queries_and_subscribes(api: Api) -> None:
    tenant = await api.new_tenant()
    lines = await run_node(
        "subscribe.mjs", websocket_url(api), tenant.admin_token, "{ viewer { kind } }", "{}", "1"
    )
    results = [json.loads(line) for line in lines.splitlines()]
    assert {"data": {"viewer": {"kind": "STAFF"}}} in results
    assert results[-1] == {"done": True}

    erik, case_id, anna = await mention_notification(api)
    first = (await api.data(NOTIFICATIONS, token=erik["token"]))["viewer"]["notifications"]
    after = first["edges"][0]["node"]["id"]
    # `after` makes the start race-free: what is added before the socket listens is replayed.
    subscriber = asyncio.create_task(
        run_node(
            "subscribe.mjs",
            websocket_url(api),
            erik["token"],
            NOTIFICATION_RECEIVED,
            json.dumps({"after": after}),
            "1",
        )
    )
    await api.data(ADD_COMMENT, {"caseId": case_id, "body": "@erik andra"}, anna["token"])
    results = [json.loads(line) for line in (await subscriber).splitlines()]
    pushed = [r["data"]["notificationReceived"] for r in results if "data" in r]
    assert pushed == [
        {"id": pushed[0]["id"], "kind": "MENTION", "comment": {"body": "@erik andra"}}
    ]


async def test_graphql_ws_client_is_refused_without_a_token(api: Api) -> None:
    lines = await run_node(
        "subscribe.mjs",
        websocket_url(api),
        "made-up",
        "{ viewer { kind } }",
        "{}",
        "1",
        succeeds=False,
    )
    last = json.loads(lines.splitlines()[-1])
    assert last == {"failed": "Forbidden"}


async def test_python_gql_client_queries_and_subscribes(api: Api) -> None:
    erik, case_id, anna = await mention_notification(api)
    transport = WebsocketsTransport(
        url=websocket_url(api),
        init_payload={"authorization": f"Bearer {erik['token']}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    async with Client(transport=transport) as session:
        viewer = await session.execute(gql("{ viewer { kind user { name } } }"))
        assert viewer == {"viewer": {"kind": "STAFF", "user": {"name": "Erik Johansson"}}}
        first = await session.execute(gql(NOTIFICATIONS))
        after = first["viewer"]["notifications"]["edges"][0]["node"]["id"]
        await api.data(ADD_COMMENT, {"caseId": case_id, "body": "@erik via gql"}, anna["token"])
        request = gql(NOTIFICATION_RECEIVED)
        request.variable_values = {"after": after}
        async for result in session.subscribe(request):
            assert result["notificationReceived"]["comment"] == {"body": "@erik via gql"}
            break


CASE_CHANGED = """subscription($after: ID) { caseChanged(filter: {open: true}, after: $after) {
  id kind case { title } } }"""
CASE_PRESENCE = """subscription($caseId: ID!) { casePresence(caseId: $caseId) {
  viewers { name } typing { name } } }"""


async def test_graphql_ws_client_follows_the_live_table_view(api: Api) -> None:
    tenant = await api.new_tenant()
    # A first change, seen on a socket of our own, gives the cursor the npm client resumes from.
    async with api.ws(tenant.admin_token) as socket:
        await socket.subscribe(CASE_CHANGED, {})
        await eventually(
            lambda: asyncio.sleep(0, len(api.services.case_feeds.live_views(tenant.pk)) >= 1),
            what="the view to go live",
        )
        await tenant.register_case(title="Första")
        message = await socket.receive()
        after = message["payload"]["data"]["caseChanged"]["id"]
    subscriber = asyncio.create_task(
        run_node(
            "subscribe.mjs",
            websocket_url(api),
            tenant.admin_token,
            CASE_CHANGED,
            json.dumps({"after": after}),
            "1",
        )
    )
    await tenant.register_case(title="Andra")
    results = [json.loads(line) for line in (await subscriber).splitlines()]
    pushed = [r["data"]["caseChanged"] for r in results if "data" in r]
    assert pushed == [{"id": pushed[0]["id"], "kind": "REGISTERED", "case": {"title": "Andra"}}]


async def test_graphql_ws_client_sees_who_is_on_a_case(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    case_id = await tenant.create_case()
    lines = await run_node(
        "subscribe.mjs",
        websocket_url(api),
        erik["token"],
        CASE_PRESENCE,
        json.dumps({"caseId": case_id}),
        "1",
    )
    results = [json.loads(line) for line in lines.splitlines()]
    pushed = [r["data"]["casePresence"] for r in results if "data" in r]
    assert pushed == [{"viewers": [{"name": "Erik Johansson"}], "typing": []}]
