"""Input a client got wrong is a clean error naming the input, never a 500, never stored."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.client import Api
from tests.test_customer_conversation import Conversation, conversation, send

# Every connection that takes `after: String`, with the number of values in its cursors.
CASES = "query($after: String) { cases(after: $after) { edges { cursor node { id } } } }"
CASES_BY = """query($after: String, $order: [CaseOrder!]) {
  cases(after: $after, orderBy: $order) { edges { cursor node { id } } } }"""
USERS = "query($after: String) { users(after: $after) { edges { cursor node { id } } } }"
CUSTOMERS = "query($after: String) { customers(after: $after) { edges { cursor node { id } } } }"
NOTIFICATIONS = """query($after: String) { viewer {
  notifications(after: $after) { edges { cursor node { id } } } } }"""
PORTAL_CASES = (
    "query($after: String) { portalCases(after: $after) { edges { cursor node { id } } } }"
)
ON_CASE = """query($id: ID!, $after: String) { case(id: $id) {
  %s(after: $after) { edges { cursor node { id } } } } }"""
PORTAL_MESSAGES = """query($after: String) { portalCases { edges { node {
  messages(after: $after) { edges { cursor node { id } } } } } } }"""


def cursor_of(raw_json: str) -> str:
    return base64.urlsafe_b64encode(raw_json.encode()).decode().rstrip("=")


# JSON values no sort key holds: wrong kinds, non-finite and out-of-range numbers, a lone
# surrogate, NUL, times that do not parse or fall outside year 1..9999 in UTC.
BAD_VALUES = [
    '"x"',
    "true",
    "false",
    "[1]",
    '{"a":1}',
    "1e400",
    "-1e400",
    "NaN",
    "Infinity",
    "1.5",
    str(2**70),
    str(-(2**64)),
    '"a\\ud800b"',
    '"a\\u0000b"',
    '{"$dt":"x"}',
    '{"$dt":5}',
    '{"$dt":"0001-01-01T00:00:00+01:00"}',
    '{"$dt":"9999-12-31T23:59:59-01:00"}',
    '{"$dt":"2026-01-01T00:00:00"}',
    '{"$dt":"2026-01-01T00:00:00+00:00","x":1}',
]


def bad_cursors(width: int) -> list[str]:
    """Cursors of every wrong shape, for a connection whose cursors hold `width` values."""
    shapes = [f"[{','.join([value] * width)}]" for value in BAD_VALUES]
    shapes += ['["x","y"]', "[]", "[1,2,3]", "{}", '"x"', "null", "5", "[null]"]
    cursors = [cursor_of(shape) for shape in shapes]
    return [*cursors, "", "!!!", "not a cursor", "W10", "=" * 8, "ñ", cursor_of("[1") + "x"]


async def assert_invalid_cursors(
    api: Api, query: str, token: str, width: int, variables: dict[str, Any] | None = None
) -> None:
    given = variables or {}
    first = await api.data(query, given, token)
    assert first, "the connection answers without a cursor"
    for cursor in bad_cursors(width):
        body = await api.post(query, {**given, "after": cursor}, token)
        errors = body.get("errors") or []
        assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"], (cursor, body)
        assert errors[0]["message"] == "Invalid cursor.", (cursor, body)


async def _with_everything(api: Api) -> Conversation:
    """A conversation whose case has a comment, a message, events, and a notification."""
    c = await conversation(api)
    await send(api, c)
    await api.data(
        """mutation($input: AddCommentInput!) { addComment(input: $input) { comment { id } } }""",
        {"input": {"caseId": c.case["id"], "body": "Ring Karin först."}},
        c.tenant.admin_token,
    )
    await api.data(
        """mutation($input: PortalSendMessageInput!) { portalSendMessage(input: $input) {
             message { id } } }""",
        {"input": {"caseId": (await c.portal_case())["id"], "body": "Tack!"}},
        c.contact["token"],
    )
    return c


async def test_every_connection_refuses_a_cursor_it_did_not_issue(api: Api) -> None:
    c = await _with_everything(api)
    admin, staff, portal = c.tenant.admin_token, c.staff["token"], c.contact["token"]
    await assert_invalid_cursors(api, CASES, admin, 2)
    await assert_invalid_cursors(api, USERS, admin, 2)
    await assert_invalid_cursors(api, CUSTOMERS, admin, 2)
    await assert_invalid_cursors(api, NOTIFICATIONS, staff, 1)
    await assert_invalid_cursors(api, PORTAL_CASES, portal, 2)
    await assert_invalid_cursors(api, PORTAL_MESSAGES, portal, 1)
    for nested in ("comments", "events", "messages"):
        await assert_invalid_cursors(api, ON_CASE % nested, admin, 1, {"id": c.case["id"]})


@pytest.mark.parametrize(
    "field", ["NUMBER", "TITLE", "DEADLINE", "PRIORITY", "STATUS", "TYPE", "CUSTOMER"]
)
async def test_every_case_order_refuses_a_cursor_it_did_not_issue(api: Api, field: str) -> None:
    tenant = await api.new_tenant()
    await tenant.register_case(title="Första")
    order = {"order": [{"field": field, "direction": "ASC"}]}
    await assert_invalid_cursors(api, CASES_BY, tenant.admin_token, 2, order)


async def test_a_cursor_of_another_order_or_connection_is_refused(api: Api) -> None:
    tenant = await api.new_tenant()
    for title in ("Första", "Andra"):
        await tenant.register_case(title=title)
    await tenant.create_user("Anna Berg")
    token = tenant.admin_token
    newest = await api.data(CASES, {}, token)
    by_title = await api.data(CASES_BY, {"order": [{"field": "TITLE", "direction": "ASC"}]}, token)
    users = await api.data(USERS, {}, token)
    case_cursor = newest["cases"]["edges"][0]["cursor"]
    title_cursor = by_title["cases"]["edges"][0]["cursor"]
    user_cursor = users["users"]["edges"][0]["cursor"]

    # Each cursor still pages its own list...
    assert len((await api.data(CASES, {"after": case_cursor}, token))["cases"]["edges"]) == 1
    # ...and is refused by a list that orders by other kinds of values.
    assert await api.error_codes(USERS, {"after": case_cursor}, token) == ["BAD_USER_INPUT"]
    assert await api.error_codes(CASES, {"after": user_cursor}, token) == ["BAD_USER_INPUT"]
    assert await api.error_codes(CASES, {"after": title_cursor}, token) == ["BAD_USER_INPUT"]
    order = {"order": [{"field": "PRIORITY", "direction": "ASC"}]}
    assert await api.error_codes(CASES_BY, {"after": title_cursor, **order}, token) == [
        "BAD_USER_INPUT"
    ]


UNSTORABLE = ["a\ud800b", "\udfff", "x\ud83d", "a\x00b"]
CREATE_CUSTOMER = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  customer { id } userErrors { field code } } }"""
CUSTOMER_COUNT = "{ customers { totalCount } }"


def raw_body(query: str, variables: dict[str, Any]) -> bytes:
    # json.dumps writes a lone surrogate as the escape "\ud800", as a browser would send it.
    return json.dumps({"query": query, "variables": variables}).encode()


async def test_text_that_is_not_unicode_is_refused_everywhere_over_http(api: Api) -> None:
    tenant = await api.new_tenant()
    token = tenant.admin_token
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for text in UNSTORABLE:
        escaped = json.dumps(text)  # a GraphQL string literal spells escapes like JSON
        attempts = [
            (CREATE_CUSTOMER, {"input": {"name": text}}),
            (CREATE_CUSTOMER, {"input": {"name": "Brf Ek", "address": text}}),
            (CREATE_CUSTOMER, {"input": {"name": "Brf Ek", "email": text}}),
            (
                f"mutation {{ createCustomer(input: {{name: {escaped}}}) {{ customer {{ id }} }} }}",
                {},
            ),
            (f"{{ customers(search: {escaped}) {{ totalCount }} }}", {}),
            ("query($s: String) { cases(search: $s) { totalCount } }", {"s": text}),
            ("query($a: String) { users(after: $a) { totalCount } }", {"a": text}),
            (f"{{ users(search: {escaped}) {{ totalCount }} }}", {}),
            (CUSTOMER_COUNT, {"unused": {"deep": [text]}}),
            (CUSTOMER_COUNT, {text: 1}),
        ]
        for query, variables in attempts:
            response = await api.http.post(
                "/graphql", content=raw_body(query, variables), headers=headers
            )
            assert response.status_code == 200, (text, query, response.text)
            body = response.json()
            codes = [e["extensions"]["code"] for e in body["errors"]]
            assert codes == ["BAD_USER_INPUT"], (text, query, body)
            assert body.get("data") is None, body
    assert (await api.data(CUSTOMER_COUNT, token=token))["customers"]["totalCount"] == 0


async def test_text_that_is_not_unicode_is_refused_over_a_websocket(api: Api) -> None:
    tenant = await api.new_tenant()
    async with api.ws(tenant.admin_token) as socket:
        for text in UNSTORABLE:
            escaped = json.dumps(text)
            for query, variables in [
                (CREATE_CUSTOMER, {"input": {"name": text}}),
                (
                    f"mutation {{ createCustomer(input: {{name: {escaped}}}) {{ customer {{ id }} }} }}",
                    {},
                ),
                (f"{{ customers(search: {escaped}) {{ totalCount }} }}", {}),
                (
                    "subscription($id: ID!) { commentAdded(caseId: $id) { id } }",
                    {"id": text},
                ),
                (f"subscription {{ commentAdded(caseId: {escaped}) {{ id }} }}", {}),
            ]:
                operation_id = await socket.subscribe(query, variables)
                message = await socket.receive()
                assert message["id"] == operation_id, message
                if message["type"] == "next":
                    errors = message["payload"]["errors"]
                    assert message["payload"].get("data") is None, message
                    assert (await socket.receive())["type"] == "complete"
                else:
                    assert message["type"] == "error", message
                    errors = message["payload"]
                assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"], (
                    text,
                    query,
                    message,
                )
        still_open = await socket.execute(CUSTOMER_COUNT)
    assert still_open["data"]["customers"]["totalCount"] == 0


REGISTER = """mutation($input: RegisterCaseInput!) { registerCase(input: $input) {
  case { id deadline } userErrors { field code } } }"""
UPDATE = """mutation($input: UpdateCaseInput!) { updateCase(input: $input) {
  case { id deadline } userErrors { field code } } }"""
FILTERED = """query($filter: CaseFilter) { cases(filter: $filter) {
  totalCount edges { node { id title deadline } } } }"""
# Valid ISO 8601, but outside the years 1-9999 once in UTC.
UNSTORABLE_TIMES = [
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:59:59+01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:00:00-23:59",
]
EXTREME_TIMES = {
    "0001-01-01T00:00:00+00:00": "0001-01-01T00:00:00+00:00",
    "0001-01-01T01:00:00+01:00": "0001-01-01T00:00:00+00:00",
    "9999-12-31T23:59:59+01:00": "9999-12-31T22:59:59+00:00",
    "9999-12-31T23:59:59": "9999-12-31T23:59:59+00:00",
}


async def test_a_deadline_outside_what_can_be_stored_is_invalid(api: Api) -> None:
    tenant = await api.new_tenant()
    token = tenant.admin_token
    case = await tenant.register_case(title="Befintligt")
    for moment in UNSTORABLE_TIMES:
        given = {"title": "Läckage", "deadline": moment}
        registered = (await api.data(REGISTER, {"input": given}, token))["registerCase"]
        assert registered == {
            "case": None,
            "userErrors": [{"field": ["input", "deadline"], "code": "INVALID"}],
        }, moment
        changed = {"id": case["id"], "deadline": moment}
        updated = (await api.data(UPDATE, {"input": changed}, token))["updateCase"]
        assert updated == {
            "case": None,
            "userErrors": [{"field": ["input", "deadline"], "code": "INVALID"}],
        }, moment
        inline = f'mutation {{ registerCase(input: {{title: "X", deadline: "{moment}"}}) {{ userErrors {{ field code }} }} }}'
        assert (await api.data(inline, token=token))["registerCase"]["userErrors"] == [
            {"field": ["input", "deadline"], "code": "INVALID"}
        ]
    listed = (await api.data(FILTERED, {}, token))["cases"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"]["deadline"] is None

    for given_time, stored in EXTREME_TIMES.items():
        given = {"title": "Ytterkant", "deadline": given_time}
        registered = await api.data(REGISTER, {"input": given}, token)
        assert registered["registerCase"]["case"]["deadline"] == stored
        updated = await api.data(
            UPDATE, {"input": {"id": case["id"], "deadline": given_time}}, token
        )
        assert updated["updateCase"]["case"]["deadline"] == stored


async def test_a_deadline_filter_outside_what_can_be_compared_is_bad_input(api: Api) -> None:
    tenant = await api.new_tenant()
    token = tenant.admin_token
    await tenant.register_case(title="Med deadline", deadline="2027-01-15T09:00:00+01:00")
    for moment in UNSTORABLE_TIMES:
        for bound in ("deadlineBefore", "deadlineAfter"):
            body = await api.post(FILTERED, {"filter": {bound: moment}}, token)
            assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"], body
            assert bound in body["errors"][0]["message"]
            inline = f'{{ cases(filter: {{{bound}: "{moment}"}}) {{ totalCount }} }}'
            assert await api.error_codes(inline, token=token) == ["BAD_USER_INPUT"]
    before = await api.data(
        FILTERED, {"filter": {"deadlineBefore": "9999-12-31T23:59:59+01:00"}}, token
    )
    assert before["cases"]["totalCount"] == 1
    after = await api.data(
        FILTERED, {"filter": {"deadlineAfter": "0001-01-01T01:00:00+01:00"}}, token
    )
    assert after["cases"]["totalCount"] == 1
