"""Security review as tests: tenant walls for every Node type, secrets kept out of logs, SQL."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import introspection_from_schema
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from db.models import CaseChange, Webhook
from graph.ids import pk_of, to_global_id
from graph.schema import build_schema
from tests.support.client import PASSWORD, Api, Tenant, unique
from tests.support.server_process import ServerProcess

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
ADD_COMMENT = """mutation($c: ID!, $b: String!) { addComment(input: {caseId: $c, body: $b}) {
  comment { id } userErrors { code } } }"""


async def _customer_child(tenant: Tenant, mutation: str, field: str) -> str:
    customer = await tenant.create_customer("Hemlig Kund")
    data = await tenant.api.data(mutation, {"c": customer["id"]}, tenant.admin_token)
    return str(data[field][field.removeprefix("create").lower()]["id"])


async def _user(tenant: Tenant) -> str:
    return str((await tenant.create_user("Hemlig Person"))["id"])


async def _group(tenant: Tenant) -> str:
    data = await tenant.api.data(
        'mutation { createGroup(input: {name: "Hemlig", memberIds: []}) { group { id } } }',
        token=tenant.admin_token,
    )
    return str(data["createGroup"]["group"]["id"])


async def _customer(tenant: Tenant) -> str:
    return str((await tenant.create_customer("Hemlig Kund"))["id"])


async def _contact(tenant: Tenant) -> str:
    return await _customer_child(
        tenant,
        'mutation($c: ID!) { createContact(input: {customerId: $c, name: "K"}) { contact { id } } }',
        "createContact",
    )


async def _object(tenant: Tenant) -> str:
    data = await tenant.api.data(
        'mutation { createObject(input: {name: "Hemligt"}) { object { id } } }',
        token=tenant.admin_token,
    )
    return str(data["createObject"]["object"]["id"])


async def _project(tenant: Tenant) -> str:
    data = await tenant.api.data(
        'mutation { createProject(input: {name: "Hemligt"}) { project { id } } }',
        token=tenant.admin_token,
    )
    return str(data["createProject"]["project"]["id"])


async def _case(tenant: Tenant) -> str:
    return await tenant.create_case("Hemligt ärende")


async def _case_change(tenant: Tenant) -> str:
    """A change as `caseChanged` hands it out (read here from the feed itself)."""
    await tenant.create_case("Hemligt ärende")
    async with tenant.api.db.session(tenant.pk) as session:
        newest = await session.scalar(select(func.max(CaseChange.id)))
    assert newest is not None
    return to_global_id("CaseChange", newest)


async def _comment(tenant: Tenant) -> str:
    case_id = await tenant.create_case()
    data = await tenant.api.data(ADD_COMMENT, {"c": case_id, "b": "hemligt"}, tenant.admin_token)
    return str(data["addComment"]["comment"]["id"])


async def _notification(tenant: Tenant) -> str:
    handle = unique("mottagare")
    receiver = await tenant.create_user("Mottagare", handle=handle)
    case_id = await tenant.create_case()
    await tenant.api.data(ADD_COMMENT, {"c": case_id, "b": f"@{handle} titta"}, tenant.admin_token)
    data = await tenant.api.data(
        "{ viewer { notifications(first: 1) { edges { node { id } } } } }",
        token=receiver["token"],
    )
    return str(data["viewer"]["notifications"]["edges"][0]["node"]["id"])


async def _option(tenant: Tenant, kind: str) -> str:
    return next(iter((await tenant.options())[kind].values()))


async def _template(tenant: Tenant, alias: str) -> str:
    """A task template ("t") or a form template ("f")."""
    data = await tenant.api.data(
        """mutation {
          t: saveTaskTemplate(input: {name: "Rutin", tasks: ["Ring"]}) { taskTemplate { id } }
          f: saveFormTemplate(input: {name: "Kontroll",
               questions: [{key: "ok", label: "OK", kind: BOOLEAN}]}) { formTemplate { id } } }""",
        token=tenant.admin_token,
    )
    return str(next(iter(data[alias].values()))["id"])


async def _case_part(tenant: Tenant, selection: str) -> str:
    """The id of the first task, form or event of a case registered with a task and a form."""
    case = await tenant.register_case(
        taskTemplateIds=[await _template(tenant, "t")],
        formTemplateIds=[await _template(tenant, "f")],
    )
    data = await tenant.api.data(
        "query($id: ID!) { case(id: $id) { tasks { id } forms { id } "
        "events { edges { node { id } } } } }",
        {"id": case["id"]},
        tenant.admin_token,
    )
    if selection == "events":
        return str(data["case"]["events"]["edges"][0]["node"]["id"])
    return str(data["case"][selection][0]["id"])


async def _conversation_case(tenant: Tenant) -> dict[str, Any]:
    customer = await tenant.create_customer("Hemlig Kund")
    contact = await tenant.create_contact(customer["id"], "Hemlig Kontakt", "hemlig@kund.se")
    return await tenant.register_case(
        customerId=customer["id"], contactId=contact["id"], visibleInPortal=True
    )


async def _portal_case(tenant: Tenant) -> str:
    case_pk = pk_of((await _conversation_case(tenant))["id"], "Case")
    assert case_pk is not None
    return to_global_id("PortalCase", case_pk)


async def _conversation_message(tenant: Tenant) -> str:
    case = await _conversation_case(tenant)
    data = await tenant.api.data(
        """mutation($c: ID!) { sendCustomerMessage(input: {caseId: $c, body: "hemligt"}) {
             message { id } } }""",
        {"c": case["id"]},
        tenant.admin_token,
    )
    return str(data["sendCustomerMessage"]["message"]["id"])


async def _sms_message(tenant: Tenant) -> str:
    await tenant.api.data(
        "mutation { updateCaseModuleSettings(input: {smsEnabled: true}) { userErrors { code } } }",
        token=tenant.admin_token,
    )
    user = await tenant.create_user("Hemlig Person", phone="070-174 00 01")
    data = await tenant.api.data(
        """mutation($u: ID!) { sendSms(input: {userIds: [$u], body: "hemligt"}) {
             messages { id } } }""",
        {"u": user["id"]},
        tenant.admin_token,
    )
    return str(data["sendSms"]["messages"][0]["id"])


async def _reply_template(tenant: Tenant) -> str:
    data = await tenant.api.data(
        """mutation { saveReplyTemplate(input: {name: "Hemlig mall", body: "hemligt"}) {
             replyTemplate { id } } }""",
        token=tenant.admin_token,
    )
    return str(data["saveReplyTemplate"]["replyTemplate"]["id"])


async def _case_view(tenant: Tenant) -> str:
    # Shared: seen by everyone of its tenant, and by no one else.
    data = await tenant.api.data(
        """mutation { saveCaseView(input: {name: "Hemlig vy", shared: true}) {
             caseView { id } } }""",
        token=tenant.admin_token,
    )
    return str(data["saveCaseView"]["caseView"]["id"])


async def _webhook(tenant: Tenant) -> str:
    # Inactive, and only for an event nothing here causes: it is never sent to.
    data = await tenant.api.data(
        """mutation { saveWebhook(input: {url: "https://93.184.215.14/hemlig",
             events: [SLA_BREACHED], active: false}) { webhook { id } } }""",
        token=tenant.admin_token,
    )
    return str(data["saveWebhook"]["webhook"]["id"])


async def _webhook_delivery(tenant: Tenant) -> str:
    webhook_id = await _webhook(tenant)
    # Pointed at loopback behind the API's back: the sender refuses it at once, offline.
    async with tenant.api.db.transaction(None) as session:
        await session.execute(
            update(Webhook)
            .where(Webhook.id == pk_of(webhook_id, "Webhook"))
            .values(url="http://127.0.0.1:9/hemlig")
        )
    data = await tenant.api.data(
        """mutation($id: ID!) { sendTestWebhook(input: {id: $id}) { delivery { id } } }""",
        {"id": webhook_id},
        tenant.admin_token,
    )
    return str(data["sendTestWebhook"]["delivery"]["id"])


async def _attachment(tenant: Tenant) -> str:
    case_id = await tenant.create_case()
    query = """mutation($c: ID!, $f: [Upload!]!) { addAttachments(input: {caseId: $c, files: $f}) {
             attachments { id } } }"""
    response = await tenant.api.http.post(
        "/graphql",
        data={
            "operations": json.dumps({"query": query, "variables": {"c": case_id, "f": [None]}}),
            "map": json.dumps({"0": ["variables.f.0"]}),
        },
        files={"0": ("hemligt.txt", b"hemligt", "text/plain")},
        headers={"Authorization": f"Bearer {tenant.admin_token}", "Apollo-Require-Preflight": "1"},
    )
    return str(response.json()["data"]["addAttachments"]["attachments"][0]["id"])


async def _business_calendar(tenant: Tenant) -> str:
    data = await tenant.api.data(
        """mutation { saveBusinessCalendar(input: {name: "Kontoret",
             timezone: "Europe/Stockholm", hours: []}) { businessCalendar { id } } }""",
        token=tenant.admin_token,
    )
    return str(data["saveBusinessCalendar"]["businessCalendar"]["id"])


async def _sla_policy(tenant: Tenant) -> str:
    data = await tenant.api.data(
        'mutation { saveSlaPolicy(input: {name: "Hemlig", firstResponseMinutes: 60}) '
        "{ slaPolicy { id } } }",
        token=tenant.admin_token,
    )
    return str(data["saveSlaPolicy"]["slaPolicy"]["id"])


# Every Node type, and how a test makes one. A type added to the schema without an entry
# here fails the test below by name: add its creator (or a factory in tests/client.py).
CREATORS: dict[str, Callable[[Tenant], Awaitable[str]]] = {
    "User": _user,
    "Group": _group,
    "Customer": _customer,
    "Contact": _contact,
    "CaseObject": _object,
    "Project": _project,
    "Case": _case,
    "CaseChange": _case_change,
    "CaseEvent": lambda tenant: _case_part(tenant, "events"),
    "Task": lambda tenant: _case_part(tenant, "tasks"),
    "FormInstance": lambda tenant: _case_part(tenant, "forms"),
    "CaseType": lambda tenant: _option(tenant, "types"),
    "CasePriority": lambda tenant: _option(tenant, "priorities"),
    "CaseStatus": lambda tenant: _option(tenant, "statuses"),
    "TaskTemplate": lambda tenant: _template(tenant, "t"),
    "FormTemplate": lambda tenant: _template(tenant, "f"),
    "Comment": _comment,
    "Notification": _notification,
    "PortalCase": _portal_case,
    "ConversationMessage": _conversation_message,
    "SmsMessage": _sms_message,
    "ReplyTemplate": _reply_template,
    "CaseView": _case_view,
    "Webhook": _webhook,
    "WebhookDelivery": _webhook_delivery,
    "Attachment": _attachment,
    "BusinessCalendar": _business_calendar,
    "SlaPolicy": _sla_policy,
}


def node_types() -> list[str]:
    introspection = introspection_from_schema(build_schema()._schema)
    (node,) = [t for t in introspection["__schema"]["types"] if t["name"] == "Node"]
    return sorted(t["name"] for t in node["possibleTypes"] or [])


async def test_every_node_type_is_unreachable_from_another_tenant(api: Api) -> None:
    types = node_types()
    assert {"User", "Customer"} <= set(types)
    missing = [name for name in types if name not in CREATORS]
    assert missing == [], f"Node types without a creator in this test: {missing}"
    owner = await api.new_tenant("Ägare AB")
    intruder = await api.new_tenant("Nyfiken AB")
    for type_name in types:
        global_id = await CREATORS[type_name](owner)
        mine = await api.data(NODE, {"id": global_id}, owner.admin_token)
        if type_name != "Notification":  # a notification is its receiver's alone
            assert mine["node"] == {"__typename": type_name, "id": global_id}, type_name
        theirs = await api.post(NODE, {"id": global_id}, intruder.admin_token)
        assert theirs == {"data": {"node": None}}, type_name


async def test_passwords_and_tokens_never_reach_the_logs(tmp_path: Path) -> None:
    server = ServerProcess(
        {
            "WORKCLOUD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}",
            "WORKCLOUD_BROADCAST_URL": "memory://",
        },
        log_level="debug",
    )
    secret = f"hemligt-{unique('pw')}"
    wrong = f"fel-{unique('pw')}"
    try:
        await server.start()
        from db.engine import Database
        from domain.tenants import create_tenant

        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}")
        email = f"{unique('admin')}@example.se"
        async with db.transaction(None) as session:
            await create_tenant(session, name="Logg AB", admin_email=email, admin_password=secret)
        await db.dispose()
        login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
        async with httpx.AsyncClient(base_url=server.base_url, timeout=15) as http:
            await http.post(
                "/graphql", json={"query": login, "variables": {"e": email, "p": wrong}}
            )
            ok = await http.post(
                "/graphql", json={"query": login, "variables": {"e": email, "p": secret}}
            )
            token = ok.json()["data"]["login"]["token"]
            auth = {"Authorization": f"Bearer {token}"}
            # Errors of every kind, carrying the secrets in their variables.
            await http.post(
                "/graphql", json={"query": "{ nonsense }", "variables": {"p": secret}}, headers=auth
            )
            await http.post(
                "/graphql", json={"query": login, "variables": {"e": email, "p": 5}}, headers=auth
            )
            change = """mutation($i: ChangePasswordInput!) { changePassword(input: $i) { ok } }"""
            await http.post(
                "/graphql",
                json={
                    "query": change,
                    "variables": {"i": {"currentPassword": wrong, "newPassword": PASSWORD}},
                },
                headers=auth,
            )
            await http.post("/graphql", json={"query": "{ viewer { kind } }"}, headers=auth)
    finally:
        await server.stop()
    output = server.output()
    server.remove_log()
    assert "POST /graphql" in output  # the log was captured
    for leaked in [secret, wrong, token]:
        assert leaked not in output


PACKAGES = ["graph", "db", "domain", "workcloud"]
# Raw SQL that is allowed: constants, reviewed, with no value spliced in.
VETTED_RAW_SQL = {
    ("db/engine.py", 'text("SELECT 1")'),
    ("db/engine.py", 'text("SELECT pg_advisory_xact_lock(727274)")'),
    ("db/engine.py", 'exec_driver_sql("BEGIN IMMEDIATE")'),
    ("db/engine.py", 'exec_driver_sql("BEGIN")'),
    # A prepared read: SQL compiled by SQLAlchemy from a statement whose every value is a
    # bound parameter (it refuses any other), run with those values.
    ("db/prepared.py", "exec_driver_sql(compiled.sql, tuple(values))"),
}
# `text(` as SQLAlchemy's (bare or `sqlalchemy.`/`sa.`), not e.g. `validation.text(`.
RAW_SQL = re.compile(
    r"""(?:(?<![\w.])|(?<=sqlalchemy\.)|(?<=\bsa\.))text\((?:[^()]|\([^()]*\))*\)"""
    r"""|\bexec_driver_sql\((?:[^()]|\([^()]*\))*\)"""
)
SQL_IN_STRINGS = re.compile(
    r"""f["'][^"']*\b(?:SELECT|INSERT|UPDATE|DELETE)\b[^"']*\{""", re.IGNORECASE
)


def test_sql_goes_only_through_sqlalchemy_with_bound_parameters(repo_root: Path) -> None:
    found: set[tuple[str, str]] = set()
    formatted: list[str] = []
    for package in PACKAGES:
        for path in sorted((repo_root / package).rglob("*.py")):
            relative = str(path.relative_to(repo_root))
            if "/migrations/" in relative:
                continue  # DDL, run by Alembic, never with request data
            source = path.read_text()
            for match in RAW_SQL.finditer(source):
                call = match.group(0)
                if source[max(0, match.start() - 4) : match.start()] == "def ":
                    continue
                found.add((relative, call))
            formatted += [f"{relative}: {m.group(0)}" for m in SQL_IN_STRINGS.finditer(source)]
    assert found - VETTED_RAW_SQL == set()
    assert formatted == []


SEARCH = "query($s: String) { customers(search: $s) { edges { node { name } } } users(search: $s) { edges { node { name } } } }"


async def test_search_wildcards_match_literally(api: Api) -> None:
    tenant = await api.new_tenant()
    names = ["100% nöjd", "1000 nöjda", "a_b kund", "axb kund", "back\\slash AB", "backslash AB"]
    for name in names:
        await tenant.create_customer(name)
        await tenant.create_user(name)
    for search, expected in [
        ("%", ["100% nöjd"]),
        ("_", ["a_b kund"]),
        ("\\", ["back\\slash AB"]),
        ("0% n", ["100% nöjd"]),
    ]:
        data = await api.data(SEARCH, {"s": search}, tenant.admin_token)
        assert [e["node"]["name"] for e in data["customers"]["edges"]] == expected, search
        assert [e["node"]["name"] for e in data["users"]["edges"]] == expected, search


async def test_a_failed_statement_never_carries_its_values(api: Api) -> None:
    secret = f"hemlig-token-{unique('t')}"
    async with api.db.session(None) as session:
        with pytest.raises(DBAPIError) as failed:
            await session.execute(text("SELECT * FROM no_such_table WHERE x = :p"), {"p": secret})
    assert "no_such_table" in str(failed.value)
    assert secret not in str(failed.value)


EXPECTED_ERRORS = {
    "UNAUTHENTICATED": ("{ cases { totalCount } }", None),
    "FORBIDDEN": ("{ cases { totalCount } }", "portal"),
    "GRAPHQL_VALIDATION_FAILED": ("{ nonsense }", "staff"),
    "BAD_USER_INPUT": ("{ cases(first: -1) { totalCount } }", "staff"),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED_ERRORS))
async def test_a_clients_own_errors_are_answers_not_logged_faults(
    api: Api, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()
    tokens = {
        None: None,
        "staff": tenant.admin_token,
        "portal": (await tenant.create_portal_contact(customer["id"]))["token"],
    }
    query, who = EXPECTED_ERRORS[kind]
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            body = await api.post(query, token=tokens[who])
            assert body.get("errors"), body
    faults = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert faults == []
