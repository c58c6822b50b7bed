"""Input a client got wrong is a clean error naming the input, never a 500, never stored."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.support.client import Api
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


CREATE_USER = """mutation($input: CreateUserInput!) { createUser(input: $input) {
  user { id phone } userErrors { field code } } }"""
CREATE_CONTACT = """mutation($input: CreateContactInput!) { createContact(input: $input) {
  contact { id phone } userErrors { field code } } }"""
CREATE_CUSTOMER_PHONE = """mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
  customer { id phone } userErrors { field code } } }"""
ARABIC_INDIC, EASTERN_ARABIC_INDIC, FULL_WIDTH = 0x0660, 0x06F0, 0xFF10


def in_digits(zero: int, text: str) -> str:
    """`text` with its digits 0-9 written in the script whose zero is `zero`."""
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)


NOT_PHONE_NUMBERS = [
    "+999999",
    "+0701234567",
    in_digits(ARABIC_INDIC, "0701234567"),
    in_digits(EASTERN_ARABIC_INDIC, "0701234567"),
    in_digits(FULL_WIDTH, "0701234567"),
    "070-12" + in_digits(FULL_WIDTH, "3") + " 45 67",
    "12",
    "070-123 45 67 89 01 23",
    "ring mig",
    "+46 70 123 45 6\u2176",  # a Roman numeral seven
]
PHONE_NUMBERS = {
    "070-123 45 67": "+46701234567",
    "+46 70 123 45 67": "+46701234567",
    "0046701234567": "+46701234567",
    "08-123 456 78": "+46812345678",
    "+47 22 12 34 56": "+4722123456",
}


async def test_phone_numbers_are_valid_numbers_stored_in_e164(api: Api) -> None:
    tenant = await api.new_tenant()
    token = tenant.admin_token
    customer = await tenant.create_customer()

    def created(kind: str, phone: str) -> tuple[str, dict[str, Any]]:
        if kind == "user":
            email = f"{phone.encode().hex()[:20]}-{len(phone)}@example.se"
            return CREATE_USER, {
                "input": {
                    "email": email,
                    "name": "Ny",
                    "password": "correct horse battery",
                    "phone": phone,
                }
            }
        if kind == "contact":
            return CREATE_CONTACT, {
                "input": {"customerId": customer["id"], "name": "Ny", "phone": phone}
            }
        return CREATE_CUSTOMER_PHONE, {"input": {"name": "Ny", "phone": phone}}

    for kind, field in (
        ("user", "createUser"),
        ("contact", "createContact"),
        ("customer", "createCustomer"),
    ):
        for phone in NOT_PHONE_NUMBERS:
            query, variables = created(kind, phone)
            payload = (await api.data(query, variables, token))[field]
            assert payload["userErrors"] == [{"field": ["input", "phone"], "code": "INVALID"}], (
                kind,
                phone,
                payload,
            )
        for phone, e164 in PHONE_NUMBERS.items():
            query, variables = created(kind, f" {phone} ")
            payload = (await api.data(query, variables, token))[field]
            assert payload["userErrors"] == [], (kind, phone, payload)
            assert next(v for k, v in payload.items() if k != "userErrors")["phone"] == e164
    # Only the valid ones were written.
    customers = await api.data("{ customers { totalCount } }", token=token)
    assert customers["customers"]["totalCount"] == 1 + len(PHONE_NUMBERS)


NOT_NUMBERS = [
    "1e999",
    "1E5",
    "1e-3",
    "NaN",
    "Infinity",
    "-inf",
    in_digits(FULL_WIDTH, "012"),
    in_digits(ARABIC_INDIC, "123"),
    "1" + in_digits(FULL_WIDTH, "2"),
    "0x10",
    "+5",
    "1.",
    ".5",
    "1.2.3",
    "--1",
    "9" * 31,
]
NUMBERS = {"12": "12", "-3": "-3", "3,5": "3.5", "1 000": "1000", "0.250": "0.25", "-0": "0"}


async def test_number_fields_and_answers_take_plain_numbers_only(api: Api) -> None:
    tenant = await api.new_tenant()
    token = tenant.admin_token
    saved = await api.data(
        """mutation { saveCaseType(input: {name: "Mätning", fields: [
             {key: "area", label: "Yta", kind: NUMBER}]}) { caseType { id } } }""",
        token=token,
    )
    type_id = saved["saveCaseType"]["caseType"]["id"]
    template = await api.data(
        """mutation { saveFormTemplate(input: {name: "Kontroll", questions: [
             {key: "pressure", label: "Tryck", kind: NUMBER}]}) { formTemplate { id } } }""",
        token=token,
    )
    case = await tenant.register_case(
        title="Mätning",
        typeId=type_id,
        formTemplateIds=[template["saveFormTemplate"]["formTemplate"]["id"]],
    )
    read = await api.data(
        "query($id: ID!) { case(id: $id) { forms { id } } }", {"id": case["id"]}, token
    )
    form_id = read["case"]["forms"][0]["id"]
    register = """mutation($input: RegisterCaseInput!) { registerCase(input: $input) {
      case { customFields { key value } } userErrors { field code } } }"""
    answer = """mutation($input: AnswerFormInput!) { answerForm(input: $input) {
      case { forms { answers { key value } } } userErrors { field code } } }"""
    for value in NOT_NUMBERS:
        given = {"title": "X", "typeId": type_id, "customFields": [{"key": "area", "value": value}]}
        registered = (await api.data(register, {"input": given}, token))["registerCase"]
        assert registered["userErrors"] == [
            {"field": ["input", "customFields", "area"], "code": "INVALID"}
        ], value
        answers = {"formId": form_id, "answers": [{"key": "pressure", "value": value}]}
        answered = (await api.data(answer, {"input": answers}, token))["answerForm"]
        assert answered["userErrors"] == [
            {"field": ["input", "answers", "pressure"], "code": "INVALID"}
        ], value
    for value, stored in NUMBERS.items():
        given = {"title": "X", "typeId": type_id, "customFields": [{"key": "area", "value": value}]}
        registered = (await api.data(register, {"input": given}, token))["registerCase"]
        assert registered["case"]["customFields"] == [{"key": "area", "value": stored}], value
        answers = {"formId": form_id, "answers": [{"key": "pressure", "value": value}]}
        answered = (await api.data(answer, {"input": answers}, token))["answerForm"]
        assert answered["case"]["forms"][0]["answers"] == [{"key": "pressure", "value": stored}]


MARK_READ = """mutation($input: MarkNotificationsReadInput!) { markNotificationsRead(input: $input) {
  markedCount unreadNotificationCount userErrors { field code } } }"""
UNREAD = "{ viewer { unreadNotificationCount notifications { edges { node { id } } } } }"


async def _notified(api: Api, tenant_name: str) -> tuple[str, list[str], str]:
    """A tenant whose user Erik has a notification; (his token, its ids, a case id)."""
    tenant = await api.new_tenant(tenant_name)
    erik = await tenant.create_user("Erik Johansson")
    case = await tenant.register_case(title="Ny port", assignedUserIds=[erik["id"]])
    lobby = await api.data(UNREAD, token=erik["token"])
    ids = [e["node"]["id"] for e in lobby["viewer"]["notifications"]["edges"]]
    assert ids, lobby
    return erik["token"], ids, case["id"]


async def test_only_my_own_notifications_can_be_marked_read(api: Api) -> None:
    erik, mine, case_id = await _notified(api, "Kvarnen AB")
    tenant = await api.new_tenant("Kvarnen AB")  # another tenant
    other, theirs, _ = await _notified(api, "Grannen AB")
    del tenant
    foreign = [theirs[0], case_id, "Tm90aWZpY2F0aW9uOjA", "bm9wZQ", "x"]
    for stranger in foreign:
        for ids in ([stranger], [mine[0], stranger]):
            body = await api.data(MARK_READ, {"input": {"ids": ids}}, erik)
            assert body["markNotificationsRead"]["userErrors"] == [
                {"field": ["input", "ids"], "code": "NOT_FOUND"}
            ], (stranger, body)
    assert (await api.data(UNREAD, token=erik))["viewer"]["unreadNotificationCount"] == len(mine)
    assert (await api.data(UNREAD, token=other))["viewer"]["unreadNotificationCount"] == len(theirs)
    marked = await api.data(MARK_READ, {"input": {"ids": [mine[0], mine[0]]}}, erik)
    assert marked["markNotificationsRead"]["userErrors"] == []
    assert marked["markNotificationsRead"]["markedCount"] == 1
    # Marking one already read again is fine: it is still mine.
    again = await api.data(MARK_READ, {"input": {"ids": [mine[0]]}}, erik)
    assert again["markNotificationsRead"]["userErrors"] == []


async def test_a_user_of_the_same_tenant_cannot_mark_mine_read(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    anna = await tenant.create_user("Anna Berg")
    await tenant.register_case(title="Ny port", assignedUserIds=[erik["id"]])
    lobby = await api.data(UNREAD, token=erik["token"])
    [mine] = [e["node"]["id"] for e in lobby["viewer"]["notifications"]["edges"]]
    body = await api.data(MARK_READ, {"input": {"ids": [mine]}}, anna["token"])
    assert body["markNotificationsRead"]["userErrors"] == [
        {"field": ["input", "ids"], "code": "NOT_FOUND"}
    ]
    assert (await api.data(UNREAD, token=erik["token"]))["viewer"]["unreadNotificationCount"] == 1


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/graphql", "GET, HEAD, POST"), ("/health", "GET, HEAD"), ("/inbound/email", "POST")],
)
async def test_a_method_a_route_does_not_take_is_405_in_json(
    api: Api, path: str, allowed: str
) -> None:
    for method in ("PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "GET", "POST"):
        if method in allowed.split(", "):
            continue
        for accept in ("application/json", "application/graphql-response+json"):
            response = await api.http.request(
                method,
                path,
                content=b'{"query": "{ __typename }"}',
                headers={"Content-Type": "application/json", "Accept": accept},
            )
            assert response.status_code == 405, (method, path, response.text)
            assert response.headers["allow"] == allowed
            assert response.headers["content-type"].startswith(accept)
            assert response.json() == {
                "errors": [
                    {
                        "message": f"{method} is not allowed here; use {allowed}.",
                        "extensions": {"code": "METHOD_NOT_ALLOWED"},
                    }
                ]
            }
    # The methods a route takes still work.
    assert (await api.http.get("/health")).status_code in (200, 503)
    assert (await api.post("{ __typename }")) == {"data": {"__typename": "Query"}}


LONG = "å" * 5000


async def test_text_longer_than_its_column_is_invalid_not_a_failure(api: Api) -> None:
    tenant = await api.new_tenant()
    token = tenant.admin_token
    customer = await tenant.create_customer()
    case = await tenant.register_case(title="Ny port")
    attempts = [
        ("createCustomer", "CreateCustomerInput", {"name": LONG}, "name"),
        ("createCustomer", "CreateCustomerInput", {"name": "A", "orgNumber": LONG}, "orgNumber"),
        ("createCustomer", "CreateCustomerInput", {"name": "A", "address": LONG}, "address"),
        ("createCustomer", "CreateCustomerInput", {"name": "A", "email": f"{LONG}@x.se"}, "email"),
        (
            "createContact",
            "CreateContactInput",
            {"customerId": customer["id"], "name": LONG},
            "name",
        ),
        ("createObject", "CreateObjectInput", {"name": LONG}, "name"),
        ("createProject", "CreateProjectInput", {"name": LONG}, "name"),
        ("createGroup", "CreateGroupInput", {"name": LONG, "memberIds": []}, "name"),
        ("registerCase", "RegisterCaseInput", {"title": LONG}, "title"),
        ("updateCase", "UpdateCaseInput", {"id": case["id"], "title": LONG}, "title"),
        ("addTask", "AddTaskInput", {"caseId": case["id"], "title": LONG}, "title"),
        ("saveCaseType", "SaveCaseTypeInput", {"name": LONG}, "name"),
        ("saveCasePriority", "SaveCasePriorityInput", {"name": LONG}, "name"),
        ("saveCaseStatus", "SaveCaseStatusInput", {"name": LONG}, "name"),
        ("saveCaseType", "SaveCaseTypeInput", {"name": "T", "color": LONG}, "color"),
        ("saveTaskTemplate", "SaveTaskTemplateInput", {"name": LONG, "tasks": ["a"]}, "name"),
        ("saveFormTemplate", "SaveFormTemplateInput", {"name": LONG, "questions": []}, "name"),
    ]
    for mutation, input_type, given, field in attempts:
        query = f"""mutation($input: {input_type}!) {{ {mutation}(input: $input) {{
          userErrors {{ field code }} }} }}"""
        payload = (await api.data(query, {"input": given}, token))[mutation]
        assert {"field": ["input", field], "code": "INVALID"} in payload["userErrors"], (
            mutation,
            field,
            payload,
        )
    created = await api.data(
        """mutation($input: CreateUserInput!) { createUser(input: $input) {
             userErrors { field code } } }""",
        {
            "input": {
                "email": "ny@example.se",
                "name": LONG,
                "password": "correct horse battery",
                "handle": "h" * 65,
            }
        },
        token,
    )
    assert {tuple(e["field"]) for e in created["createUser"]["userErrors"]} == {
        ("input", "name"),
        ("input", "handle"),
    }
