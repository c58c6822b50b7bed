"""A page of the table view costs the same few SQL statements, whatever its size."""

from __future__ import annotations

from tests.support.case_documents import CUSTOM_FIELDS, SAVE_CASE_TYPE
from tests.support.client import Api

PAGE = """query($first: Int) { cases(first: $first) { edges { node {
  id number title description deadline color visibleInPortal createdAt updatedAt
  location { lat lng }
  customer { id name } contact { id name } object { id name } project { id name }
  type { id name } status { id name } priority { id name }
  assignedUsers { id name } assignedGroups { id name } responsible { id name } createdBy { id name }
  customFields { key label value }
  tasks { id title done assignee { id name } }
  forms { id name answers { key value } } } } } }"""
VALUES = [
    {"key": "floor", "value": "3"},
    {"key": "apartment", "value": "1102"},
    {"key": "insured", "value": "true"},
    {"key": "found", "value": "2026-11-20"},
    {"key": "room", "value": "Bad"},
]


async def test_a_page_of_fifty_costs_what_a_page_of_five_does(api: Api) -> None:
    tenant = await api.new_tenant()
    users = [await tenant.create_user(f"Handläggare {i}") for i in range(4)]
    groups = [await tenant.create_group(f"Grupp {i}", [users[i]["id"]]) for i in range(2)]
    case_type = (
        await api.data(
            SAVE_CASE_TYPE,
            {"input": {"name": "Vattenskada", "fields": CUSTOM_FIELDS}},
            tenant.admin_token,
        )
    )["saveCaseType"]["caseType"]
    templates = await api.data(
        """mutation {
          t: saveTaskTemplate(input: {name: "Rutin", tasks: ["Ring", "Åk ut"]}) { taskTemplate { id } }
          f: saveFormTemplate(input: {name: "Kontroll", questions: [{key: "ok", label: "OK", kind: BOOLEAN}]})
             { formTemplate { id } } }""",
        token=tenant.admin_token,
    )
    places = []
    for i in range(10):
        customer = await tenant.create_customer(
            f"Kund {i}", location={"lat": 57.0 + i / 100, "lng": 12.0}
        )
        contact = await tenant.create_contact(customer["id"], f"Kontakt {i}")
        obj = await tenant.create_object(f"Objekt {i}", customerId=customer["id"])
        project = await api.data(
            'mutation($c: ID!) { createProject(input: {name: "Projekt", customerId: $c}) { project { id } } }',
            {"c": customer["id"]},
            tenant.admin_token,
        )
        places.append((customer, contact, obj, project["createProject"]["project"]))
    for i in range(50):
        customer, contact, obj, project = places[i % 10]
        await tenant.register_case(
            users[i % 4]["token"],
            title=f"Ärende {i}",
            customerId=customer["id"],
            contactId=contact["id"],
            objectId=obj["id"],
            projectId=project["id"],
            typeId=case_type["id"],
            customFields=VALUES,
            assignedUserIds=[users[i % 4]["id"], users[(i + 1) % 4]["id"]],
            assignedGroupIds=[groups[i % 2]["id"]],
            responsibleId=users[(i + 2) % 4]["id"],
            deadline="2027-01-01T12:00:00Z",
            taskTemplateIds=[templates["t"]["taskTemplate"]["id"]],
            formTemplateIds=[templates["f"]["formTemplate"]["id"]],
        )
    # Tasks with assignees, so Task.assignee is part of the page too.
    first_page = await api.data(PAGE, {"first": 50}, tenant.admin_token)
    for edge in first_page["cases"]["edges"][:10]:
        await api.data(
            "mutation($t: ID!, $u: ID!) { assignTask(input: {taskId: $t, assigneeId: $u}) { userErrors { code } } }",
            {"t": edge["node"]["tasks"][0]["id"], "u": users[0]["id"]},
            tenant.admin_token,
        )

    counts = {}
    for size in (5, 50):
        async with api.counting_statements() as counter:
            data = await api.data(PAGE, {"first": size}, tenant.admin_token)
        nodes = [e["node"] for e in data["cases"]["edges"]]
        assert len(nodes) == size
        assert all(len(n["customFields"]) == 5 and n["customer"] and n["project"] for n in nodes)
        assert all(n["contact"] and n["object"] and n["type"] and n["priority"] for n in nodes)
        assert all(len(n["assignedUsers"]) == 2 and len(n["assignedGroups"]) == 1 for n in nodes)
        assert all(len(n["tasks"]) == 2 and len(n["forms"]) == 1 for n in nodes)
        counts[size] = counter.count
        assert not any("count(" in s.lower() for s in counter.statements), "totalCount not asked"
    assert counts[5] == counts[50], counts
    # Sign-in, the page, and one batch per relation: nowhere near one per case.
    assert counts[50] <= 20, counts
