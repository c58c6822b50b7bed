"""Case search stays true when what a case shows is renamed: the new name finds it at once,
the old one no longer does."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.models import Case
from domain.cases.search_text import refresh_search_text
from tests.support.case_documents import mutation
from tests.support.client import Api

SEARCH = """query($search: String) { cases(search: $search) { edges { node { title } } } }"""


async def _titles(api: Api, token: str, search: str) -> list[str]:
    data = await api.data(SEARCH, {"search": search}, token)
    return sorted(e["node"]["title"] for e in data["cases"]["edges"])


async def test_renamed_customers_contacts_objects_and_projects_are_found_by_their_new_names(
    api: Api,
) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user("Erik Johansson")
    token = member["token"]
    group = await tenant.create_group("Jourgruppen", [member["id"]])
    customer = await tenant.create_customer("Brf Solbacken")
    contact = await tenant.create_contact(customer["id"], "Karin Svensson")
    obj = await tenant.create_object("Tvättstuga", customerId=customer["id"])
    project = (
        await api.data(
            mutation("createProject", "CreateProjectInput", "project { id }"),
            {"input": {"name": "Stambyte 2027", "customerId": customer["id"]}},
            tenant.admin_token,
        )
    )["createProject"]["project"]
    for i in range(3):
        await tenant.register_case(
            title=f"Läckage {i}",
            description="Vatten på golvet\nigen",
            customerId=customer["id"],
            contactId=contact["id"],
            objectId=obj["id"] if i else None,
            projectId=project["id"] if i < 2 else None,
            assignedUserIds=[member["id"]],
            assignedGroupIds=[group["id"]],
        )
    await tenant.register_case(title="Annat ärende")
    # Case search matches the project and assigned groups too.
    assert await _titles(api, token, "stambyte") == ["Läckage 0", "Läckage 1"]
    assert len(await _titles(api, token, "JOURGRUPP")) == 3

    for kind, id_, old, new, expected in [
        ("Customer", customer["id"], "solbacken", "Brf Östergården", 3),
        ("Contact", contact["id"], "karin", "Åsa Nilsson", 3),
        ("Object", obj["id"], "tvättstuga", "Undercentral Värme", 2),
        ("Project", project["id"], "stambyte", "Fönsterbyte Ånäs", 2),
    ]:
        renamed = await api.data(
            mutation(f"update{kind}", f"Update{kind}Input", "userErrors { code }"),
            {"input": {"id": id_, "name": new}},
            token,
        )
        assert renamed[f"update{kind}"]["userErrors"] == []
        assert await _titles(api, token, old) == [], kind
        assert len(await _titles(api, token, new.upper())) == expected, kind
        # Changing something else leaves the name where it was.
        await api.data(
            mutation(f"update{kind}", f"Update{kind}Input", "userErrors { code }"),
            {"input": {"id": id_}},
            token,
        )
        assert len(await _titles(api, token, new)) == expected, kind

    # The set-based refresh writes exactly what a case's own write would.
    async with api.db.session(tenant.pk) as session:
        cases = list((await session.scalars(select(Case).order_by(Case.id))).all())
        refreshed = {case.id: case.search_text for case in cases}
        await refresh_search_text(session, cases)
        composed: dict[int, Any] = {case.id: case.search_text for case in cases}
        await session.rollback()
    assert refreshed == composed
    assert "\nbrf östergården\nåsa nilsson\n" in min(refreshed.items())[1]
