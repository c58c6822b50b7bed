"""The event log: every registration and change, by whom, with readable from -> to."""

from __future__ import annotations

import itertools
from typing import Any

from tests.support.case_documents import EVENTS, UPDATE, UPDATE_SETTINGS
from tests.support.client import Api


async def events(api: Api, token: str, case_id: str, **page: Any) -> list[dict[str, Any]]:
    data = await api.data(EVENTS, {"id": case_id, **page}, token)
    return [e["node"] for e in data["case"]["events"]["edges"]]


def changes(event: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    return {c["field"]: (c["from"], c["to"]) for c in event["changes"]}


async def test_registration_and_every_change_are_logged(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson")
    group = await tenant.create_group("Service Göteborg", [erik["id"]])
    solbacken = await tenant.create_customer("Brf Solbacken")
    karin = await tenant.create_contact(solbacken["id"], "Karin Svensson", "karin@solbacken.se")
    kvarnen = await tenant.create_customer("Fastighets AB Kvarnen")
    options = await tenant.options()
    case = await tenant.register_case(
        sara["token"],
        title="Läckage",
        customerId=solbacken["id"],
        contactId=karin["id"],
        assignedGroupIds=[group["id"]],
        sendConfirmation=True,
    )

    updated = await api.data(
        UPDATE,
        {
            "input": {
                "id": case["id"],
                "statusId": options["statuses"]["Pågående"],
                "assignedUserIds": [sara["id"], erik["id"]],
                "visibleInPortal": True,
            }
        },
        erik["token"],
    )
    assert updated["updateCase"]["userErrors"] == []
    await api.data(
        """mutation($c: ID!, $k: ID!) { changeCaseCustomer(input: {caseId: $c, customerId: $k})
             { userErrors { code } } }""",
        {"c": case["id"], "k": kvarnen["id"]},
        tenant.admin_token,
    )
    await api.data(
        "mutation($c: ID!) { takeCase(input: {caseId: $c}) { userErrors { code } } }",
        {"c": case["id"]},
        erik["token"],
    )
    added = await api.data(
        """mutation($c: ID!) { addTask(input: {caseId: $c, title: "Stäng av vattnet"})
             { case { tasks { id } } } }""",
        {"c": case["id"]},
        erik["token"],
    )
    await api.data(
        "mutation($t: ID!) { setTaskDone(input: {taskId: $t, done: true}) { userErrors { code } } }",
        {"t": added["addTask"]["case"]["tasks"][0]["id"]},
        erik["token"],
    )

    log = await events(api, erik["token"], case["id"])
    assert [(e["action"], e["actorName"]) for e in log] == [
        ("REGISTERED", "Sara Nilsson"),
        ("CONFIRMATION_SENT", "Sara Nilsson"),
        ("UPDATED", "Erik Johansson"),
        ("CUSTOMER_CHANGED", tenant.admin_email.split("@")[0]),
        ("TAKEN", "Erik Johansson"),
        ("TASK_ADDED", "Erik Johansson"),
        ("TASK_DONE", "Erik Johansson"),
    ]
    registered = changes(log[0])
    assert registered["title"] == (None, "Läckage")
    assert registered["customer"] == (None, "Brf Solbacken")
    assert registered["contact"] == (None, "Karin Svensson")
    assert registered["assignedGroups"] == (None, "Service Göteborg")
    assert registered["status"] == (None, "Ny")
    assert registered["priority"] == (None, "Normal")
    assert changes(log[1]) == {"confirmation": (None, "Karin Svensson <karin@solbacken.se>")}
    assert changes(log[2]) == {
        "status": ("Ny", "Pågående"),
        "assignedUsers": (None, "Erik Johansson, Sara Nilsson"),
        "visibleInPortal": ("no", "yes"),
    }
    assert changes(log[3]) == {
        "customer": ("Brf Solbacken", "Fastighets AB Kvarnen"),
        "contact": ("Karin Svensson", None),
    }
    assert changes(log[4]) == {"responsible": (None, "Erik Johansson")}
    assert changes(log[5]) == {"task": (None, "Stäng av vattnet")}
    assert changes(log[6]) == {"task": (None, "Stäng av vattnet"), "done": ("no", "yes")}
    assert all(a["at"] <= b["at"] for a, b in itertools.pairwise(log))

    # Paged oldest first, without gaps or repeats.
    first = await api.data(EVENTS, {"id": case["id"], "first": 3}, erik["token"])
    page = first["case"]["events"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await events(api, erik["token"], case["id"], after=page["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in page["edges"]] + [e["id"] for e in rest] == [
        e["id"] for e in log
    ]


async def test_a_change_that_changes_nothing_logs_nothing(api: Api) -> None:
    tenant = await api.new_tenant()
    case = await tenant.register_case(title="Samma")
    same = await api.data(
        UPDATE, {"input": {"id": case["id"], "title": "Samma"}}, tenant.admin_token
    )
    assert same["updateCase"]["userErrors"] == []
    assert [e["action"] for e in await events(api, tenant.admin_token, case["id"])] == [
        "REGISTERED"
    ]


async def test_the_events_tab_turned_off_makes_the_log_forbidden(api: Api) -> None:
    tenant = await api.new_tenant()
    case = await tenant.register_case(title="Tyst logg")
    await api.data(UPDATE_SETTINGS, {"input": {"tabs": {"events": False}}}, tenant.admin_token)
    query = "query($id: ID!) { case(id: $id) { title events { edges { node { id } } } } }"
    body = await api.post(query, {"id": case["id"]}, tenant.admin_token)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert body["errors"][0]["path"] == ["case", "events"]
    # `events` is non-null, so the error nulls the case it was asked on; without it the
    # case reads as usual.
    assert body["data"] == {"case": None}
    plain = await api.data(
        "query($id: ID!) { case(id: $id) { title } }", {"id": case["id"]}, tenant.admin_token
    )
    assert plain["case"]["title"] == "Tyst logg"

    await api.data(UPDATE_SETTINGS, {"input": {"tabs": {"events": True}}}, tenant.admin_token)
    assert [e["action"] for e in await events(api, tenant.admin_token, case["id"])] == [
        "REGISTERED"
    ]
