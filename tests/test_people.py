"""An admin adds staff users and groups; members may not; bad input writes nothing."""

from __future__ import annotations

from graph.ids import to_global_id
from tests.support.client import PASSWORD, Api, unique

CREATE_USER = """mutation($input: CreateUserInput!) { createUser(input: $input) {
  user { id name email handle role phone } userErrors { field message code } } }"""
CREATE_GROUP = """mutation($input: CreateGroupInput!) { createGroup(input: $input) {
  group { id name members { id name } } userErrors { field message code } } }"""
USERS = """query($search: String, $first: Int, $after: String) {
  users(search: $search, first: $first, after: $after) {
    totalCount edges { cursor node { id name handle } } pageInfo { hasNextPage endCursor } } }"""


def user_input(**overrides: object) -> dict[str, object]:
    return {
        "email": f"{unique('sara')}@example.se",
        "name": "Sara Nilsson",
        "password": PASSWORD,
        "handle": unique("sara"),
        **overrides,
    }


async def test_admin_creates_a_user_who_can_sign_in(api: Api) -> None:
    tenant = await api.new_tenant()
    new = user_input(phone="070-123 45 67", role="ADMIN")
    data = await api.data(CREATE_USER, {"input": new}, tenant.admin_token)
    assert data["createUser"]["userErrors"] == []
    user = data["createUser"]["user"]
    assert user["email"] == new["email"]
    assert user["role"] == "ADMIN"
    assert user["phone"] == "+46701234567"
    token = await api.login(str(new["email"]))
    viewer = await api.data("{ viewer { user { id } } }", token=token)
    assert viewer["viewer"]["user"]["id"] == user["id"]


async def test_handle_defaults_to_the_email_local_part(api: Api) -> None:
    tenant = await api.new_tenant()
    local = unique("maria.akesson")
    new = user_input(email=f"{local}@example.se", handle=None)
    data = await api.data(CREATE_USER, {"input": new}, tenant.admin_token)
    assert data["createUser"]["user"]["handle"] == local


async def test_duplicate_email_and_handle_are_refused_and_nothing_is_written(api: Api) -> None:
    tenant = await api.new_tenant()
    other = await api.new_tenant("Annan AB")
    first = user_input(handle="erik")
    await api.data(CREATE_USER, {"input": first}, tenant.admin_token)
    before = (await api.data(USERS, token=tenant.admin_token))["users"]["totalCount"]

    # The same e-mail is taken in every tenant; the same handle only within one.
    same_email = user_input(email=str(first["email"]).upper(), handle="someone-else")
    data = await api.data(CREATE_USER, {"input": same_email}, other.admin_token)
    assert [e["field"] for e in data["createUser"]["userErrors"]] == [["input", "email"]]
    same_handle = user_input(handle="ERIK")
    data = await api.data(CREATE_USER, {"input": same_handle}, tenant.admin_token)
    assert data["createUser"]["user"] is None
    assert data["createUser"]["userErrors"][0]["field"] == ["input", "handle"]
    assert data["createUser"]["userErrors"][0]["code"] == "INVALID"
    data = await api.data(CREATE_USER, {"input": user_input(handle="erik")}, other.admin_token)
    assert data["createUser"]["userErrors"] == []

    after = (await api.data(USERS, token=tenant.admin_token))["users"]["totalCount"]
    assert after == before


async def test_every_problem_is_reported_at_once(api: Api) -> None:
    tenant = await api.new_tenant()
    bad = user_input(email="not-an-email", name="  ", password="short", handle="bad handle!")
    data = await api.data(CREATE_USER, {"input": bad}, tenant.admin_token)
    errors = {tuple(e["field"]): e["code"] for e in data["createUser"]["userErrors"]}
    assert errors == {
        ("input", "email"): "INVALID",
        ("input", "name"): "REQUIRED",
        ("input", "password"): "INVALID",
        ("input", "handle"): "INVALID",
    }


async def test_a_member_may_not_create_users_or_groups(api: Api) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user()
    codes = await api.error_codes(CREATE_USER, {"input": user_input()}, member["token"])
    assert codes == ["FORBIDDEN"]
    codes = await api.error_codes(
        CREATE_GROUP, {"input": {"name": "Jour", "memberIds": []}}, member["token"]
    )
    assert codes == ["FORBIDDEN"]


async def test_groups_with_members(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson")
    data = await api.data(
        CREATE_GROUP,
        {"input": {"name": "Service Göteborg", "memberIds": [sara["id"], erik["id"]]}},
        tenant.admin_token,
    )
    group = data["createGroup"]["group"]
    assert [m["name"] for m in group["members"]] == ["Erik Johansson", "Sara Nilsson"]
    groups = await api.data("{ groups { id name members { id name } } }", token=erik["token"])
    assert groups["groups"] == [
        {"id": group["id"], "name": "Service Göteborg", "members": group["members"]}
    ]


async def test_group_with_unknown_member_is_refused(api: Api) -> None:
    tenant = await api.new_tenant()
    other = await api.new_tenant("Annan AB")
    stranger = await other.create_user()
    for member_id in [stranger["id"], "not-an-id", to_global_id("User", 9_999_999)]:
        data = await api.data(
            CREATE_GROUP, {"input": {"name": "Jour", "memberIds": [member_id]}}, tenant.admin_token
        )
        assert data["createGroup"]["group"] is None
        assert data["createGroup"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await api.data("{ groups { id } }", token=tenant.admin_token))["groups"] == []


async def test_users_search_and_pagination(api: Api) -> None:
    tenant = await api.new_tenant()
    for name in ["Åsa Öberg", "Örjan Ek", "Anders Åström", "Bertil Berg"]:
        await tenant.create_user(name)
    found = await api.data(USERS, {"search": "ÖBERG"}, tenant.admin_token)
    assert [e["node"]["name"] for e in found["users"]["edges"]] == ["Åsa Öberg"]
    found = await api.data(USERS, {"search": "berg"}, tenant.admin_token)
    assert {e["node"]["name"] for e in found["users"]["edges"]} == {"Åsa Öberg", "Bertil Berg"}

    seen: list[str] = []
    after = None
    while True:
        page = await api.data(USERS, {"first": 2, "after": after}, tenant.admin_token)
        seen += [e["node"]["name"] for e in page["users"]["edges"]]
        assert page["users"]["totalCount"] == 5
        if not page["users"]["pageInfo"]["hasNextPage"]:
            break
        after = page["users"]["pageInfo"]["endCursor"]
    # Every user exactly once, in the same order as one big page.
    everyone = await api.data(USERS, {"first": 100}, tenant.admin_token)
    assert seen == [e["node"]["name"] for e in everyone["users"]["edges"]]
    assert len(set(seen)) == 5


async def test_bad_cursor_is_a_clean_error(api: Api) -> None:
    tenant = await api.new_tenant()
    codes = await api.error_codes(USERS, {"after": "!!nonsense!!"}, tenant.admin_token)
    assert codes == ["BAD_USER_INPUT"]
