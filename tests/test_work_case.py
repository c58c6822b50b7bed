"""Working a case: changing it, changing its customer, taking it, tasks, forms, deleting."""

from __future__ import annotations

from typing import Any

from tests.support.case_documents import (
    CASE,
    CASE_PAYLOAD,
    UPDATE,
    UPDATE_SETTINGS,
    errors_by_field,
    mutation,
)
from tests.support.client import Api

CHANGE_CUSTOMER = mutation("changeCaseCustomer", "ChangeCaseCustomerInput", CASE_PAYLOAD)
TAKE = """mutation($id: ID!) { takeCase(input: {caseId: $id}) {
  case { responsible { id name } } userErrors { field message code } } }"""
DELETE = """mutation($id: ID!) { deleteCase(input: {id: $id}) {
  deletedId userErrors { field message code } } }"""
TASK_PAYLOAD = (
    "case { tasks { id title done assignee { id name } } } userErrors { field message code }"
)
ADD_TASK = mutation("addTask", "AddTaskInput", TASK_PAYLOAD)
SET_DONE = mutation("setTaskDone", "SetTaskDoneInput", TASK_PAYLOAD)
ASSIGN = mutation("assignTask", "AssignTaskInput", TASK_PAYLOAD)
ANSWER = """mutation($input: AnswerFormInput!) { answerForm(input: $input) {
  case { forms { id answers { key value } } } userErrors { field message code } } }"""


async def update(api: Api, token: str, **given: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await api.data(UPDATE, {"input": given}, token))["updateCase"]
    return payload


async def test_update_changes_only_what_is_sent(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    options = await tenant.options()
    case = await tenant.register_case(
        title="Trasig dörr", description="Entrén mot gatan", priorityId=options["priorities"]["Hög"]
    )
    before = (await api.data(CASE, {"id": case["id"]}, tenant.admin_token))["case"]

    changed = await update(api, erik["token"], id=case["id"], title="Trasig entrédörr")
    assert changed["userErrors"] == []
    after = changed["case"]
    assert after["title"] == "Trasig entrédörr"
    assert after["description"] == "Entrén mot gatan"
    assert after["priority"]["name"] == "Hög"
    assert after["number"] == before["number"]
    assert after["updatedAt"] > before["updatedAt"]

    cleared = await update(
        api,
        erik["token"],
        id=case["id"],
        description=None,
        assignedUserIds=[erik["id"]],
        statusId=options["statuses"]["Pågående"],
        deadline="2027-02-01T12:00:00Z",
    )
    assert cleared["userErrors"] == []
    assert cleared["case"]["description"] is None
    assert cleared["case"]["assignedUsers"] == [{"id": erik["id"], "name": "Erik Johansson"}]
    assert cleared["case"]["status"]["name"] == "Pågående"
    assert cleared["case"]["deadline"] == "2027-02-01T12:00:00+00:00"
    assert cleared["case"]["title"] == "Trasig entrédörr"


async def test_update_is_checked_like_registration(api: Api) -> None:
    tenant = await api.new_tenant()
    solbacken = await tenant.create_customer("Solbacken")
    kvarnen = await tenant.create_customer("Kvarnen")
    per = await tenant.create_contact(kvarnen["id"], "Per Holm")
    options = await tenant.options()
    await api.data(
        """mutation($id: ID!) { saveCaseStatus(input: {id: $id, name: "Väntar på kund",
             active: false}) { userErrors { code } } }""",
        {"id": options["statuses"]["Väntar på kund"]},
        tenant.admin_token,
    )
    case = await tenant.register_case(title="Fönster", customerId=solbacken["id"])
    refused = await update(
        api,
        tenant.admin_token,
        id=case["id"],
        title="  ",
        contactId=per["id"],
        statusId=options["statuses"]["Väntar på kund"],
        customFields=[{"key": "floor", "value": "3"}],
        color="rosa",
    )
    assert refused["case"] is None
    assert errors_by_field(refused) == {
        ("input", "title"): "REQUIRED",
        ("input", "contactId"): "INVALID",
        ("input", "statusId"): "INVALID",
        ("input", "customFields", "floor"): "INVALID",
        ("input", "color"): "INVALID",
    }
    unchanged = (await api.data(CASE, {"id": case["id"]}, tenant.admin_token))["case"]
    assert unchanged["title"] == "Fönster" and unchanged["contact"] is None
    assert unchanged["status"]["name"] == "Ny"


async def test_another_tenants_case_is_not_found(api: Api) -> None:
    owner = await api.new_tenant("Ägaren AB")
    case = await owner.register_case(title="Hemligt ärende")
    intruder = await api.new_tenant("Nyfiken AB")
    token = intruder.admin_token
    assert errors_by_field(await update(api, token, id=case["id"], title="Mitt nu")) == {
        ("input", "id"): "NOT_FOUND"
    }
    assert (await api.data(TAKE, {"id": case["id"]}, token))["takeCase"]["userErrors"][0][
        "code"
    ] == "NOT_FOUND"
    assert errors_by_field((await api.data(DELETE, {"id": case["id"]}, token))["deleteCase"]) == {
        ("input", "id"): "NOT_FOUND"
    }
    added = await api.data(ADD_TASK, {"input": {"caseId": case["id"], "title": "X"}}, token)
    assert errors_by_field(added["addTask"]) == {("input", "caseId"): "NOT_FOUND"}
    assert await api.post(CASE, {"id": case["id"]}, token) == {"data": {"case": None}}
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert await api.post(node, {"id": case["id"]}, token) == {"data": {"node": None}}
    assert (await api.data(node, {"id": case["id"]}, owner.admin_token))["node"] == {
        "id": case["id"]
    }
    mine = (await api.data(CASE, {"id": case["id"]}, owner.admin_token))["case"]
    assert mine["title"] == "Hemligt ärende"


async def test_changing_the_customer(api: Api) -> None:
    tenant = await api.new_tenant()
    solbacken = await tenant.create_customer("Brf Solbacken")
    karin = await tenant.create_contact(solbacken["id"], "Karin Svensson")
    laundry = await tenant.create_object("Tvättstuga", customerId=solbacken["id"])
    kvarnen = await tenant.create_customer("Fastighets AB Kvarnen")
    per = await tenant.create_contact(kvarnen["id"], "Per Holm")
    case = await tenant.register_case(
        title="Fel kund", customerId=solbacken["id"], contactId=karin["id"], objectId=laundry["id"]
    )

    wrong = await api.data(
        CHANGE_CUSTOMER,
        {"input": {"caseId": case["id"], "customerId": kvarnen["id"], "contactId": karin["id"]}},
        tenant.admin_token,
    )
    assert errors_by_field(wrong["changeCaseCustomer"]) == {("input", "contactId"): "INVALID"}
    foreign = await (await api.new_tenant()).create_customer("Annan")
    missing = await api.data(
        CHANGE_CUSTOMER,
        {"input": {"caseId": case["id"], "customerId": foreign["id"]}},
        tenant.admin_token,
    )
    assert errors_by_field(missing["changeCaseCustomer"]) == {("input", "customerId"): "NOT_FOUND"}

    moved = await api.data(
        CHANGE_CUSTOMER,
        {"input": {"caseId": case["id"], "customerId": kvarnen["id"], "contactId": per["id"]}},
        tenant.admin_token,
    )
    payload = moved["changeCaseCustomer"]
    assert payload["userErrors"] == []
    assert payload["case"]["customer"] == kvarnen
    assert payload["case"]["contact"] == {"id": per["id"], "name": "Per Holm"}
    assert payload["case"]["object"] is None, "the previous customer's object is unlinked"
    found = await api.data(
        '{ cases(search: "kvarnen") { edges { node { id } } } }', token=tenant.admin_token
    )
    assert [e["node"]["id"] for e in found["cases"]["edges"]] == [case["id"]]


async def test_a_member_of_an_assigned_group_takes_the_case(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson")
    lars = await tenant.create_user("Lars Öberg")
    group = await tenant.create_group("Fastighetsjour", [erik["id"]])
    case = await tenant.register_case(
        title="Jour", assignedGroupIds=[group["id"]], assignedUserIds=[sara["id"]]
    )
    for outsider in (sara, lars):
        refused = (await api.data(TAKE, {"id": case["id"]}, outsider["token"]))["takeCase"]
        assert refused["case"] is None
        assert errors_by_field(refused) == {("input", "caseId"): "NOT_ALLOWED"}
    taken = (await api.data(TAKE, {"id": case["id"]}, erik["token"]))["takeCase"]
    assert taken["userErrors"] == []
    assert taken["case"]["responsible"] == {"id": erik["id"], "name": "Erik Johansson"}


async def test_deleting_a_case(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson")
    mine = await tenant.register_case(erik["token"], title="Dubblett")
    refused = (await api.data(DELETE, {"id": mine["id"]}, sara["token"]))["deleteCase"]
    assert errors_by_field(refused) == {("input", "id"): "NOT_ALLOWED"}
    deleted = (await api.data(DELETE, {"id": mine["id"]}, erik["token"]))["deleteCase"]
    assert deleted == {"deletedId": mine["id"], "userErrors": []}
    assert (await api.data(CASE, {"id": mine["id"]}, erik["token"]))["case"] is None

    theirs = await tenant.register_case(sara["token"], title="Felregistrerat")
    by_admin = (await api.data(DELETE, {"id": theirs["id"]}, tenant.admin_token))["deleteCase"]
    assert by_admin["deletedId"] == theirs["id"]
    gone = (await api.data(DELETE, {"id": theirs["id"]}, tenant.admin_token))["deleteCase"]
    assert errors_by_field(gone) == {("input", "id"): "NOT_FOUND"}


async def test_tasks_are_added_assigned_and_ticked_off(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    stranger = await (await api.new_tenant()).create_user("Främling")
    case = await tenant.register_case(title="Byt filter")
    token = erik["token"]

    added = await api.data(
        ADD_TASK, {"input": {"caseId": case["id"], "title": "Köp filter"}}, token
    )
    assert added["addTask"]["userErrors"] == []
    added = await api.data(
        ADD_TASK,
        {"input": {"caseId": case["id"], "title": "Montera", "assigneeId": erik["id"]}},
        token,
    )
    tasks = added["addTask"]["case"]["tasks"]
    assert [(t["title"], t["done"]) for t in tasks] == [("Köp filter", False), ("Montera", False)]
    assert tasks[1]["assignee"] == {"id": erik["id"], "name": "Erik Johansson"}

    empty = await api.data(ADD_TASK, {"input": {"caseId": case["id"], "title": ""}}, token)
    assert errors_by_field(empty["addTask"]) == {("input", "title"): "REQUIRED"}

    assigned = await api.data(
        ASSIGN, {"input": {"taskId": tasks[0]["id"], "assigneeId": erik["id"]}}, token
    )
    assert assigned["assignTask"]["case"]["tasks"][0]["assignee"]["id"] == erik["id"]
    foreign = await api.data(
        ASSIGN, {"input": {"taskId": tasks[0]["id"], "assigneeId": stranger["id"]}}, token
    )
    assert errors_by_field(foreign["assignTask"]) == {("input", "assigneeId"): "NOT_FOUND"}
    unassigned = await api.data(ASSIGN, {"input": {"taskId": tasks[1]["id"]}}, token)
    assert unassigned["assignTask"]["case"]["tasks"][1]["assignee"] is None

    done = await api.data(SET_DONE, {"input": {"taskId": tasks[0]["id"], "done": True}}, token)
    assert [t["done"] for t in done["setTaskDone"]["case"]["tasks"]] == [True, False]
    undone = await api.data(SET_DONE, {"input": {"taskId": tasks[0]["id"], "done": False}}, token)
    assert [t["done"] for t in undone["setTaskDone"]["case"]["tasks"]] == [False, False]
    missing = await api.data(SET_DONE, {"input": {"taskId": case["id"], "done": True}}, token)
    assert errors_by_field(missing["setTaskDone"]) == {("input", "taskId"): "NOT_FOUND"}

    await api.data(UPDATE_SETTINGS, {"input": {"tabs": {"tasks": False}}}, tenant.admin_token)
    off = await api.data(SET_DONE, {"input": {"taskId": tasks[0]["id"], "done": True}}, token)
    assert errors_by_field(off["setTaskDone"]) == {("input",): "DISABLED"}


async def test_forms_are_answered_by_question_kind(api: Api) -> None:
    tenant = await api.new_tenant()
    template = await api.data(
        """mutation { saveFormTemplate(input: {name: "Egenkontroll", questions: [
             {key: "ok", label: "Allt fungerar", kind: BOOLEAN, required: true},
             {key: "pressure", label: "Tryck (bar)", kind: NUMBER},
             {key: "next", label: "Nästa kontroll", kind: DATE},
             {key: "grade", label: "Betyg", kind: SELECT, options: ["Bra", "Dålig"]},
             {key: "note", label: "Anteckning", kind: TEXT}]}) { formTemplate { id } } }""",
        token=tenant.admin_token,
    )
    case = await tenant.register_case(
        title="Kontroll av pump",
        formTemplateIds=[template["saveFormTemplate"]["formTemplate"]["id"]],
    )
    form_id = (await api.data(CASE, {"id": case["id"]}, tenant.admin_token))["case"]["forms"][0][
        "id"
    ]
    wrong = await api.data(
        ANSWER,
        {
            "input": {
                "formId": form_id,
                "answers": [
                    {"key": "pressure", "value": "hög"},
                    {"key": "next", "value": "nästa vecka"},
                    {"key": "grade", "value": "Okej"},
                    {"key": "colour", "value": "röd"},
                ],
            }
        },
        tenant.admin_token,
    )
    assert errors_by_field(wrong["answerForm"]) == {
        ("input", "answers", "pressure"): "INVALID",
        ("input", "answers", "next"): "INVALID",
        ("input", "answers", "grade"): "INVALID",
        ("input", "answers", "colour"): "INVALID",
        ("input", "answers", "ok"): "REQUIRED",
    }
    answered = await api.data(
        ANSWER,
        {
            "input": {
                "formId": form_id,
                "answers": [
                    {"key": "ok", "value": "true"},
                    {"key": "pressure", "value": "1,5"},
                    {"key": "next", "value": "2027-05-01"},
                    {"key": "grade", "value": "Bra"},
                ],
            }
        },
        tenant.admin_token,
    )
    answers = {a["key"]: a["value"] for a in answered["answerForm"]["case"]["forms"][0]["answers"]}
    assert answers == {
        "ok": "true",
        "pressure": "1.5",
        "next": "2027-05-01",
        "grade": "Bra",
        "note": None,
    }
    # Answers not given stay; null clears one.
    again = await api.data(
        ANSWER,
        {
            "input": {
                "formId": form_id,
                "answers": [
                    {"key": "note", "value": "Bytt packning"},
                    {"key": "grade", "value": None},
                ],
            }
        },
        tenant.admin_token,
    )
    answers = {a["key"]: a["value"] for a in again["answerForm"]["case"]["forms"][0]["answers"]}
    assert (
        answers["note"] == "Bytt packning" and answers["grade"] is None and answers["ok"] == "true"
    )


async def test_each_newly_assigned_user_is_notified_once(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson")
    lars = await tenant.create_user("Lars Öberg")
    jour = await tenant.create_group("Fastighetsjour", [erik["id"], sara["id"]])
    lobby = "{ viewer { notifications { edges { node { kind actor { id } } } } } }"

    async def kinds(user: dict[str, Any]) -> list[str]:
        data = await api.data(lobby, token=user["token"])
        return [e["node"]["kind"] for e in data["viewer"]["notifications"]["edges"]]

    # Erik is assigned directly and through the group, and assigns himself: no notification.
    case = await tenant.register_case(
        erik["token"],
        title="Jour",
        assignedUserIds=[erik["id"], sara["id"]],
        assignedGroupIds=[jour["id"]],
    )
    assert await kinds(erik) == []
    assert await kinds(sara) == ["ASSIGNED"], "one, though assigned twice"
    assert await kinds(lars) == []

    changed = await update(
        api, tenant.admin_token, id=case["id"], assignedUserIds=[sara["id"], lars["id"]]
    )
    assert changed["userErrors"] == []
    assert await kinds(lars) == ["ASSIGNED"]
    assert await kinds(sara) == ["ASSIGNED"], "already assigned: nothing new"
    assert await kinds(erik) == [], "still assigned through the group"
