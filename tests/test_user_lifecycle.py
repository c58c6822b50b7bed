"""An admin corrects, deactivates and reactivates staff users; a tenant keeps an admin."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from graph.ids import to_global_id
from tests.support.client import PASSWORD, Api, Tenant, unique
from tests.test_socket_sign_in import follow_comments_live, signed_in

USER_FIELDS = "user { id name email handle phone role active } userErrors { field message code }"
UPDATE_USER = f"""mutation($input: UpdateUserInput!) {{ updateUser(input: $input) {{
  {USER_FIELDS} }} }}"""
DEACTIVATE = f"""mutation($input: DeactivateUserInput!) {{ deactivateUser(input: $input) {{
  {USER_FIELDS} }} }}"""
REACTIVATE = f"""mutation($input: ReactivateUserInput!) {{ reactivateUser(input: $input) {{
  {USER_FIELDS} }} }}"""
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  token userErrors { field message code } } }"""
USERS = """query($search: String, $includeInactive: Boolean) {
  users(search: $search, includeInactive: $includeInactive) { edges { node { id active } } } }"""
REGISTER = """mutation($input: RegisterCaseInput!) { registerCase(input: $input) {
  case { id } userErrors { field code } } }"""
UPDATE_CASE = """mutation($input: UpdateCaseInput!) { updateCase(input: $input) {
  case { id } userErrors { field code } } }"""
ADD_TASK = """mutation($input: AddTaskInput!) { addTask(input: $input) {
  case { tasks { id } } userErrors { field code } } }"""
ASSIGN_TASK = """mutation($input: AssignTaskInput!) { assignTask(input: $input) {
  case { id } userErrors { field code } } }"""
CASES = """query($search: String) { cases(search: $search) { edges { node { id } } } }"""


def errors(data: dict[str, Any], name: str) -> dict[tuple[str, ...], str]:
    return {tuple(e["field"]): e["code"] for e in data[name]["userErrors"]}


async def user_ids(api: Api, token: str, **variables: Any) -> set[str]:
    data = await api.data(USERS, variables, token)
    return {e["node"]["id"] for e in data["users"]["edges"]}


async def test_an_admin_changes_only_the_fields_sent(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson", phone="070-111 22 33")
    email = f"{unique('erik.j')}@example.se"
    handle = unique("erikj")
    changed = await api.data(
        UPDATE_USER,
        {
            "input": {
                "id": erik["id"],
                "name": "Erik Jonsson",
                "email": email.upper(),
                "handle": handle,
                "role": "ADMIN",
            }
        },
        tenant.admin_token,
    )
    assert changed["updateUser"]["userErrors"] == []
    user = changed["updateUser"]["user"]
    assert (user["name"], user["email"], user["handle"], user["role"], user["phone"]) == (
        "Erik Jonsson",
        email,
        handle,
        "ADMIN",
        "+46701112233",
    )
    # null clears the phone number; nothing else moves.
    cleared = await api.data(
        UPDATE_USER, {"input": {"id": erik["id"], "phone": None}}, tenant.admin_token
    )
    assert cleared["updateUser"]["user"] == {**user, "phone": None}
    # The new e-mail signs in; the old one no longer does.
    assert await api.login(email)
    refused = await api.data(LOGIN, {"e": erik["email"], "p": PASSWORD})
    assert refused["login"]["token"] is None


async def test_bad_changes_are_refused_all_at_once_and_nothing_is_written(api: Api) -> None:
    tenant = await api.new_tenant()
    other = await api.new_tenant("Annan AB")
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson", handle=unique("sara"))
    elsewhere = await other.create_user("Olle Berg")
    bad = {
        "id": erik["id"],
        "name": "  ",
        "email": elsewhere["email"].upper(),
        "handle": sara["handle"].upper(),
        "phone": "12",
        "role": None,
    }
    data = await api.data(UPDATE_USER, {"input": bad}, tenant.admin_token)
    assert data["updateUser"]["user"] is None
    assert errors(data, "updateUser") == {
        ("input", "name"): "REQUIRED",
        ("input", "email"): "INVALID",
        ("input", "handle"): "INVALID",
        ("input", "phone"): "INVALID",
        ("input", "role"): "REQUIRED",
    }
    # A taken e-mail of this tenant is answered exactly as one of another tenant.
    same_tenant = await api.data(
        UPDATE_USER, {"input": {"id": erik["id"], "email": sara["email"]}}, tenant.admin_token
    )
    elsewhere_answer = await api.data(
        UPDATE_USER, {"input": {"id": erik["id"], "email": elsewhere["email"]}}, tenant.admin_token
    )
    assert same_tenant == elsewhere_answer
    for blank in ({"email": None}, {"handle": None}, {"handle": " "}):
        data = await api.data(
            UPDATE_USER, {"input": {"id": erik["id"], **blank}}, tenant.admin_token
        )
        assert list(errors(data, "updateUser").values()) == ["REQUIRED"]
    node = await api.data(
        "query($id: ID!) { node(id: $id) { ... on User { name email handle } } }",
        {"id": erik["id"]},
        tenant.admin_token,
    )
    assert node["node"] == {
        "name": "Erik Johansson",
        "email": erik["email"],
        "handle": erik["handle"],
    }
    # Their own e-mail and handle, sent again, are not "taken".
    same = await api.data(
        UPDATE_USER,
        {"input": {"id": erik["id"], "email": erik["email"], "handle": erik["handle"].upper()}},
        tenant.admin_token,
    )
    assert same["updateUser"]["userErrors"] == []


async def test_members_may_not_and_other_tenants_users_are_not_found(api: Api) -> None:
    tenant = await api.new_tenant()
    other = await api.new_tenant("Annan AB")
    member = await tenant.create_user("Erik Johansson")
    stranger = await other.create_user("Olle Berg")
    for document, extra in [(UPDATE_USER, {"name": "X"}), (DEACTIVATE, {}), (REACTIVATE, {})]:
        for target in (member["id"], stranger["id"]):
            codes = await api.error_codes(
                document, {"input": {"id": target, **extra}}, member["token"]
            )
            assert codes == ["FORBIDDEN"]
        for target in (stranger["id"], to_global_id("User", 9_999_999), "nonsense"):
            data = await api.data(document, {"input": {"id": target, **extra}}, tenant.admin_token)
            name = next(iter(data))
            assert errors(data, name) == {("input", "id"): "NOT_FOUND"}
    assert (await api.data("{ viewer { user { name } } }", token=stranger["token"]))["viewer"]


async def test_a_deactivated_user_is_signed_out_everywhere_at_once(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    case_id = await tenant.create_case()
    async with signed_in(api, erik["token"], "graphql-transport-ws") as socket:
        await follow_comments_live(socket, tenant, case_id)
        started = time.monotonic()
        data = await api.data(DEACTIVATE, {"input": {"id": erik["id"]}}, tenant.admin_token)
        assert data["deactivateUser"]["user"]["active"] is False
        assert await socket.close_code() == 4403
        assert time.monotonic() - started < 5
    assert await api.error_codes("{ viewer { kind } }", token=erik["token"]) == ["UNAUTHENTICATED"]
    # Signing in answers exactly as a wrong password does.
    deactivated = await api.data(LOGIN, {"e": erik["email"], "p": PASSWORD})
    wrong = await api.data(LOGIN, {"e": erik["email"], "p": "wrong password"})
    assert deactivated == wrong
    assert deactivated["login"]["token"] is None


async def test_a_deactivated_user_stays_on_history_but_cannot_be_given_work(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson")
    case = await tenant.register_case(assignedUserIds=[erik["id"]], responsibleId=erik["id"])
    added = await api.data(
        ADD_TASK, {"input": {"caseId": case["id"], "title": "Byt filter"}}, tenant.admin_token
    )
    task_id = added["addTask"]["case"]["tasks"][0]["id"]
    await api.data(DEACTIVATE, {"input": {"id": erik["id"]}}, tenant.admin_token)

    # Still on the case and reachable by id; gone from the list unless asked for.
    read = await api.data(
        """query($id: ID!) { case(id: $id) { assignedUsers { id active } responsible { id } } }""",
        {"id": case["id"]},
        tenant.admin_token,
    )
    assert read["case"]["assignedUsers"] == [{"id": erik["id"], "active": False}]
    assert read["case"]["responsible"] == {"id": erik["id"]}
    node = await api.data(
        "query($id: ID!) { node(id: $id) { ... on User { active } } }",
        {"id": erik["id"]},
        sara["token"],
    )
    assert node["node"] == {"active": False}
    assert erik["id"] not in await user_ids(api, sara["token"])
    assert erik["id"] in await user_ids(api, sara["token"], includeInactive=True)
    assert erik["id"] not in await user_ids(api, sara["token"], search="Erik")

    # The case still updates while they stay on it, but they cannot be put on anything anew.
    kept = await api.data(
        UPDATE_CASE, {"input": {"id": case["id"], "title": "Ny titel"}}, sara["token"]
    )
    assert kept["updateCase"]["userErrors"] == []
    for given, path in [
        ({"assignedUserIds": [erik["id"]]}, "assignedUserIds"),
        ({"responsibleId": erik["id"]}, "responsibleId"),
    ]:
        data = await api.data(REGISTER, {"input": {"title": "Nytt", **given}}, sara["token"])
        assert errors(data, "registerCase") == {("input", path): "INVALID"}
    other_case = await tenant.register_case()
    for given, path in [
        ({"assignedUserIds": [sara["id"], erik["id"]]}, "assignedUserIds"),
        ({"responsibleId": erik["id"]}, "responsibleId"),
    ]:
        data = await api.data(
            UPDATE_CASE, {"input": {"id": other_case["id"], **given}}, sara["token"]
        )
        assert errors(data, "updateCase") == {("input", path): "INVALID"}
    data = await api.data(
        ASSIGN_TASK, {"input": {"taskId": task_id, "assigneeId": erik["id"]}}, sara["token"]
    )
    assert errors(data, "assignTask") == {("input", "assigneeId"): "INVALID"}
    other_task = await api.data(
        ADD_TASK,
        {"input": {"caseId": case["id"], "title": "Städa", "assigneeId": erik["id"]}},
        sara["token"],
    )
    assert errors(other_task, "addTask") == {("input", "assigneeId"): "INVALID"}
    group = await api.data(
        """mutation($input: CreateGroupInput!) { createGroup(input: $input) {
             group { id } userErrors { field code } } }""",
        {"input": {"name": "Jour", "memberIds": [erik["id"]]}},
        tenant.admin_token,
    )
    assert errors(group, "createGroup") == {("input", "memberIds"): "INVALID"}


async def test_reactivating_undoes_it(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    await api.data(DEACTIVATE, {"input": {"id": erik["id"]}}, tenant.admin_token)
    again = await api.data(DEACTIVATE, {"input": {"id": erik["id"]}}, tenant.admin_token)
    assert again["deactivateUser"]["userErrors"] == []
    data = await api.data(REACTIVATE, {"input": {"id": erik["id"]}}, tenant.admin_token)
    assert data["reactivateUser"]["user"]["active"] is True
    token = await api.login(erik["email"])
    assert (await api.data("{ viewer { user { id } } }", token=token))["viewer"]["user"]
    assert erik["id"] in await user_ids(api, tenant.admin_token)
    await tenant.register_case(assignedUserIds=[erik["id"]], responsibleId=erik["id"])


async def admin_of(tenant: Tenant) -> dict[str, Any]:
    me = await tenant.api.data("{ viewer { user { id } } }", token=tenant.admin_token)
    user: dict[str, Any] = me["viewer"]["user"]
    return user


async def test_the_last_active_admin_stays(api: Api) -> None:
    tenant = await api.new_tenant()
    anna = await admin_of(tenant)
    data = await api.data(DEACTIVATE, {"input": {"id": anna["id"]}}, tenant.admin_token)
    assert errors(data, "deactivateUser") == {("input", "id"): "NOT_ALLOWED"}
    data = await api.data(
        UPDATE_USER, {"input": {"id": anna["id"], "role": "MEMBER"}}, tenant.admin_token
    )
    assert errors(data, "updateUser") == {("input", "role"): "NOT_ALLOWED"}
    # An inactive admin does not count as one.
    bo = await tenant.create_user("Bo Ek", role="ADMIN")
    await api.data(DEACTIVATE, {"input": {"id": bo["id"]}}, tenant.admin_token)
    data = await api.data(
        UPDATE_USER, {"input": {"id": anna["id"], "role": "MEMBER"}}, tenant.admin_token
    )
    assert errors(data, "updateUser") == {("input", "role"): "NOT_ALLOWED"}
    # With another active admin, either may go.
    await api.data(REACTIVATE, {"input": {"id": bo["id"]}}, tenant.admin_token)
    data = await api.data(
        UPDATE_USER, {"input": {"id": anna["id"], "role": "MEMBER"}}, tenant.admin_token
    )
    assert data["updateUser"]["user"]["role"] == "MEMBER"
    # Anna is a member now: the next admin mutation is refused at once.
    codes = await api.error_codes(DEACTIVATE, {"input": {"id": bo["id"]}}, tenant.admin_token)
    assert codes == ["FORBIDDEN"]


async def test_admins_taking_themselves_away_at_once_leave_one(api: Api) -> None:
    """Each admin sees the others still there; without the tenant's lock all would go."""
    for shape in ("demote", "deactivate", "both"):
        tenant = await api.new_tenant()
        admins = [await admin_of(tenant) | {"token": tenant.admin_token}]
        admins += [await tenant.create_user(f"Admin {i}", role="ADMIN") for i in range(5)]

        def request(
            i: int, admin: dict[str, Any], shape: str = shape
        ) -> tuple[str, dict[str, Any]]:
            if shape == "demote" or (shape == "both" and i % 2 == 0):
                return UPDATE_USER, {"input": {"id": admin["id"], "role": "MEMBER"}}
            return DEACTIVATE, {"input": {"id": admin["id"]}}

        answers = await asyncio.gather(
            *(api.post(*request(i, a), a["token"]) for i, a in enumerate(admins))
        )
        refused = [a for a in answers if next(iter(a["data"].values()))["userErrors"]]
        assert len(refused) == 1, answers
        assert [e["code"] for e in next(iter(refused[0]["data"].values()))["userErrors"]] == [
            "NOT_ALLOWED"
        ]
        survivor = admins[answers.index(refused[0])]
        everyone = await api.data(
            "{ users(includeInactive: true) { edges { node { role active } } } }",
            token=survivor["token"],
        )
        active_admins = [
            e["node"]
            for e in everyone["users"]["edges"]
            if e["node"]["role"] == "ADMIN" and e["node"]["active"]
        ]
        assert len(active_admins) == 1


async def test_renaming_a_user_finds_their_cases_by_the_new_name_only(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    case = await tenant.register_case(title="Läckande kran", assignedUserIds=[erik["id"]])
    other = await tenant.register_case(title="Trasig dörr")

    async def found(search: str) -> list[str]:
        data = await api.data(CASES, {"search": search}, tenant.admin_token)
        return [e["node"]["id"] for e in data["cases"]["edges"]]

    assert await found("johansson") == [case["id"]]
    await api.data(
        UPDATE_USER, {"input": {"id": erik["id"], "name": "Erik Öberg"}}, tenant.admin_token
    )
    assert await found("öberg") == [case["id"]]
    assert await found("ÖBERG") == [case["id"]]
    assert await found("johansson") == []
    assert other["id"] not in await found("erik")
