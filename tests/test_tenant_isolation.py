"""Another tenant's objects are indistinguishable from ones that do not exist."""

from __future__ import annotations

from typing import Any

from tests.support.client import Api

NODE = "query($id: ID!) { node(id: $id) { __typename id ... on User { name } } }"


async def _populate(api: Api) -> tuple[Any, dict[str, str]]:
    tenant = await api.new_tenant("Främmande AB")
    user = await tenant.create_user("Hemlig Person")
    customer = await tenant.create_customer("Hemlig Kund")
    contact = await api.data(
        """mutation($c: ID!) { createContact(input: {customerId: $c, name: "Hemlig Kontakt",
             email: "hemlig@kund.se"}) { contact { id } } }""",
        {"c": customer["id"]},
        tenant.admin_token,
    )
    obj = await api.data(
        """mutation($c: ID!) { createObject(input: {name: "Hemligt Objekt", customerId: $c})
             { object { id } } }""",
        {"c": customer["id"]},
        tenant.admin_token,
    )
    project = await api.data(
        'mutation { createProject(input: {name: "Hemligt Projekt"}) { project { id } } }',
        token=tenant.admin_token,
    )
    group = await api.data(
        """mutation($u: ID!) { createGroup(input: {name: "Hemlig Grupp", memberIds: [$u]})
             { group { id } } }""",
        {"u": user["id"]},
        tenant.admin_token,
    )
    ids = {
        "User": user["id"],
        "Customer": customer["id"],
        "Contact": contact["createContact"]["contact"]["id"],
        "CaseObject": obj["createObject"]["object"]["id"],
        "Project": project["createProject"]["project"]["id"],
        "Group": group["createGroup"]["group"]["id"],
    }
    return tenant, ids


async def test_node_of_another_tenant_is_null(api: Api) -> None:
    owner, ids = await _populate(api)
    intruder = await api.new_tenant("Nyfiken AB")
    for type_name, global_id in ids.items():
        mine = await api.data(NODE, {"id": global_id}, owner.admin_token)
        assert mine["node"]["__typename"] == type_name
        theirs = await api.post(NODE, {"id": global_id}, intruder.admin_token)
        assert theirs == {"data": {"node": None}}, type_name


async def test_lists_show_only_my_tenant(api: Api) -> None:
    await _populate(api)
    intruder = await api.new_tenant("Nyfiken AB")
    data = await api.data(
        """{ users(search: "hemlig") { totalCount } customers(search: "hemlig") { totalCount }
             groups { id } }""",
        token=intruder.admin_token,
    )
    assert data == {"users": {"totalCount": 0}, "customers": {"totalCount": 0}, "groups": []}


async def test_mutations_cannot_reach_another_tenant(api: Api) -> None:
    _owner, ids = await _populate(api)
    intruder = await api.new_tenant("Nyfiken AB")
    contact = await api.data(
        """mutation($c: ID!) { createContact(input: {customerId: $c, name: "Inkräktare"})
             { contact { id } userErrors { field code } } }""",
        {"c": ids["Customer"]},
        intruder.admin_token,
    )
    assert contact["createContact"] == {
        "contact": None,
        "userErrors": [{"field": ["input", "customerId"], "code": "NOT_FOUND"}],
    }
    portal = await api.data(
        """mutation($c: ID!) { enablePortalAccess(input: {contactId: $c, password: "long enough pw"})
             { contact { id } userErrors { code } } }""",
        {"c": ids["Contact"]},
        intruder.admin_token,
    )
    assert portal["enablePortalAccess"]["userErrors"] == [{"code": "NOT_FOUND"}]
    group = await api.data(
        """mutation($u: ID!) { createGroup(input: {name: "Stöld", memberIds: [$u]})
             { group { id } userErrors { code } } }""",
        {"u": ids["User"]},
        intruder.admin_token,
    )
    assert group["createGroup"]["userErrors"] == [{"code": "NOT_FOUND"}]
