"""The case module's settings: staff read them, only administrators change them."""

from __future__ import annotations

from typing import Any

from tests.support.case_documents import SAVE_CASE_TYPE, UPDATE_SETTINGS, errors_by_field
from tests.support.client import Api

SETTINGS = """{ caseModuleSettings {
  fields { field visible required defaultValue }
  types { id name color active fields { key label kind required options } }
  priorities { id name color order active }
  statuses { id name color order active closed }
  taskTemplates { id name tasks }
  formTemplates { id name questions { key label kind required options } }
  tabs { events customerConversations tasks forms } smsEnabled reminderLeadMinutes } }"""
SAVE_PRIORITY = """mutation($input: SaveCasePriorityInput!) { saveCasePriority(input: $input) {
  casePriority { id name color order active } userErrors { field message code } } }"""
SAVE_STATUS = """mutation($input: SaveCaseStatusInput!) { saveCaseStatus(input: $input) {
  caseStatus { id name color order active closed } userErrors { field message code } } }"""
SAVE_TASK_TEMPLATE = """mutation($input: SaveTaskTemplateInput!) { saveTaskTemplate(input: $input) {
  taskTemplate { id name tasks } userErrors { field message code } } }"""
SAVE_FORM_TEMPLATE = """mutation($input: SaveFormTemplateInput!) { saveFormTemplate(input: $input) {
  formTemplate { id name questions { key label kind required options } }
  userErrors { field message code } } }"""


def _fields(settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["field"]: f for f in settings["fields"]}


async def test_staff_read_the_seeded_settings(api: Api) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user()
    settings = (await api.data(SETTINGS, token=member["token"]))["caseModuleSettings"]
    fields = _fields(settings)
    assert len(fields) == 16
    assert fields["TITLE"] == {
        "field": "TITLE",
        "visible": True,
        "required": True,
        "defaultValue": None,
    }
    assert fields["DESCRIPTION"]["required"] is False
    statuses = {s["name"]: s for s in settings["statuses"]}
    assert [s["name"] for s in settings["statuses"]] == [
        "Ny",
        "Pågående",
        "Väntar på kund",
        "Avslutad",
    ]
    assert statuses["Avslutad"]["closed"] is True and statuses["Ny"]["closed"] is False
    # An id-valued default is the option's global id.
    assert fields["STATUS"]["defaultValue"] == statuses["Ny"]["id"]
    priorities = {p["name"]: p["id"] for p in settings["priorities"]}
    assert fields["PRIORITY"]["defaultValue"] == priorities["Normal"]
    assert {t["name"] for t in settings["types"]} >= {"Felanmälan", "Service", "Offert"}
    assert settings["tabs"] == {
        "events": True,
        "customerConversations": True,
        "tasks": True,
        "forms": True,
    }
    assert settings["smsEnabled"] is False
    assert settings["reminderLeadMinutes"] == 60


async def test_a_member_may_not_change_settings(api: Api) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user()
    options = await tenant.options()
    attempts: list[tuple[str, dict[str, Any]]] = [
        (UPDATE_SETTINGS, {"input": {"smsEnabled": True}}),
        (SAVE_CASE_TYPE, {"input": {"name": "Egen typ"}}),
        (SAVE_PRIORITY, {"input": {"id": options["priorities"]["Låg"], "name": "Lägst"}}),
        (SAVE_STATUS, {"input": {"name": "Parkerad"}}),
        (SAVE_TASK_TEMPLATE, {"input": {"name": "Mall", "tasks": ["Ring"]}}),
        (
            SAVE_FORM_TEMPLATE,
            {"input": {"name": "Mall", "questions": [{"key": "a", "label": "A", "kind": "TEXT"}]}},
        ),
    ]
    for document, variables in attempts:
        assert await api.error_codes(document, variables, member["token"]) == ["FORBIDDEN"]
        admin = await api.data(document, variables, tenant.admin_token)
        assert next(iter(admin.values()))["userErrors"] == []
    assert (await tenant.options())["priorities"].keys() >= {"Lägst"}


async def test_admin_changes_fields_tabs_sms_and_reminders(api: Api) -> None:
    tenant = await api.new_tenant()
    options = await tenant.options()
    data = await api.data(
        UPDATE_SETTINGS,
        {
            "input": {
                "fields": [
                    {"field": "DESCRIPTION", "required": True},
                    {"field": "COLOR", "visible": False},
                    {"field": "STATUS", "defaultValue": options["statuses"]["Pågående"]},
                    {"field": "DEADLINE", "defaultValue": "p1dt12h"},
                    {"field": "LOCATION", "defaultValue": "57.7, 11.97"},
                ],
                "tabs": {"events": False, "forms": False},
                "smsEnabled": True,
                "reminderLeadMinutes": 120,
            }
        },
        tenant.admin_token,
    )
    payload = data["updateCaseModuleSettings"]
    assert payload["userErrors"] == []
    fields = _fields(payload["settings"])
    assert fields["DESCRIPTION"]["required"] is True and fields["DESCRIPTION"]["visible"]
    assert fields["COLOR"]["visible"] is False
    assert fields["STATUS"]["defaultValue"] == options["statuses"]["Pågående"]
    assert fields["DEADLINE"]["defaultValue"] == "P1DT12H"
    assert fields["LOCATION"]["defaultValue"] == "57.7,11.97"
    assert fields["TITLE"]["required"] is True, "fields not listed stay as they were"
    assert payload["settings"]["tabs"] == {
        "events": False,
        "customerConversations": True,
        "tasks": True,
        "forms": False,
    }
    assert payload["settings"]["smsEnabled"] is True
    assert payload["settings"]["reminderLeadMinutes"] == 120
    again = (await api.data(SETTINGS, token=tenant.admin_token))["caseModuleSettings"]
    assert _fields(again) == fields

    # The default becomes the status of a new case.
    case = await api.data(
        'mutation { registerCase(input: {title: "T", description: "D"}) { case { status { name } } } }',
        token=tenant.admin_token,
    )
    assert case["registerCase"]["case"]["status"]["name"] == "Pågående"


async def test_bad_settings_are_all_reported_and_nothing_changes(api: Api) -> None:
    tenant = await api.new_tenant()
    other = await api.new_tenant("Främmande AB")
    options = await tenant.options()
    await api.data(
        SAVE_STATUS,
        {
            "input": {
                "id": options["statuses"]["Väntar på kund"],
                "name": "Väntar på kund",
                "active": False,
            }
        },
        tenant.admin_token,
    )
    data = await api.data(
        UPDATE_SETTINGS,
        {
            "input": {
                "fields": [
                    {"field": "STATUS", "defaultValue": options["statuses"]["Väntar på kund"]},
                    {"field": "TYPE", "defaultValue": (await other.options())["types"]["Service"]},
                    {"field": "DEADLINE", "defaultValue": "i morgon"},
                    {"field": "VISIBLE_IN_PORTAL", "defaultValue": "kanske"},
                    {"field": "COLOR", "defaultValue": "röd"},
                    {"field": "TITLE", "visible": False},
                ],
                "reminderLeadMinutes": -5,
                "smsEnabled": True,
            }
        },
        tenant.admin_token,
    )
    payload = data["updateCaseModuleSettings"]
    assert payload["settings"] is None
    assert errors_by_field(payload) == {
        ("input", "fields", "STATUS", "defaultValue"): "INVALID",
        ("input", "fields", "TYPE", "defaultValue"): "NOT_FOUND",
        ("input", "fields", "DEADLINE", "defaultValue"): "INVALID",
        ("input", "fields", "VISIBLE_IN_PORTAL", "defaultValue"): "INVALID",
        ("input", "fields", "COLOR", "defaultValue"): "INVALID",
        ("input", "fields", "TITLE", "required"): "INVALID",
        ("input", "reminderLeadMinutes"): "INVALID",
    }
    settings = (await api.data(SETTINGS, token=tenant.admin_token))["caseModuleSettings"]
    assert settings["smsEnabled"] is False
    assert _fields(settings)["STATUS"]["defaultValue"] == options["statuses"]["Ny"]


async def test_a_case_type_has_its_own_fields(api: Api) -> None:
    tenant = await api.new_tenant()
    bad = await api.data(
        SAVE_CASE_TYPE,
        {
            "input": {
                "name": " ",
                "color": "blue",
                "fields": [
                    {"key": "1st", "label": "Första", "kind": "TEXT"},
                    {"key": "room", "label": "Rum", "kind": "SELECT"},
                    {"key": "room", "label": "Rum igen", "kind": "TEXT"},
                    {"key": "note", "label": "", "kind": "TEXT", "options": ["a"]},
                ],
            }
        },
        tenant.admin_token,
    )
    assert errors_by_field(bad["saveCaseType"]) == {
        ("input", "name"): "REQUIRED",
        ("input", "color"): "INVALID",
        ("input", "fields", "0", "key"): "INVALID",
        ("input", "fields", "1", "options"): "INVALID",
        ("input", "fields", "2", "key"): "INVALID",
        ("input", "fields", "3", "label"): "REQUIRED",
        ("input", "fields", "3", "options"): "INVALID",
    }
    saved = await api.data(
        SAVE_CASE_TYPE,
        {
            "input": {
                "name": "Vattenskada",
                "color": "#0af",
                "fields": [
                    {"key": "floor", "label": "Våning", "kind": "NUMBER", "required": True},
                    {"key": "room", "label": "Rum", "kind": "SELECT", "options": ["Kök", "Bad"]},
                ],
            }
        },
        tenant.admin_token,
    )
    case_type = saved["saveCaseType"]["caseType"]
    assert case_type["color"] == "#0af" and case_type["active"] is True
    assert case_type["fields"] == [
        {"key": "floor", "label": "Våning", "kind": "NUMBER", "required": True, "options": []},
        {
            "key": "room",
            "label": "Rum",
            "kind": "SELECT",
            "required": False,
            "options": ["Kök", "Bad"],
        },
    ]
    renamed = await api.data(
        SAVE_CASE_TYPE,
        {"input": {"id": case_type["id"], "name": "Vattenläcka", "active": False}},
        tenant.admin_token,
    )
    updated = renamed["saveCaseType"]["caseType"]
    assert (updated["id"], updated["name"], updated["active"]) == (
        case_type["id"],
        "Vattenläcka",
        False,
    )
    assert updated["fields"] == case_type["fields"], "fields not sent stay as they were"
    assert updated["color"] == "#0af"

    # Another tenant's case type is one that does not exist.
    other = await api.new_tenant("Främmande AB")
    foreign = await api.data(
        SAVE_CASE_TYPE, {"input": {"id": case_type["id"], "name": "Kapad"}}, other.admin_token
    )
    assert errors_by_field(foreign["saveCaseType"]) == {("input", "id"): "NOT_FOUND"}
    node = "query($id: ID!) { node(id: $id) { __typename ... on CaseType { name } } }"
    assert (await api.data(node, {"id": case_type["id"]}, other.admin_token))["node"] is None
    mine = await api.data(node, {"id": case_type["id"]}, tenant.admin_token)
    assert mine["node"] == {"__typename": "CaseType", "name": "Vattenläcka"}


async def test_priorities_and_statuses_keep_their_order(api: Api) -> None:
    tenant = await api.new_tenant()
    created = await api.data(
        SAVE_PRIORITY, {"input": {"name": "Kritisk", "color": "#000000"}}, tenant.admin_token
    )
    assert created["saveCasePriority"]["casePriority"]["order"] == 4, "after the four seeded"
    status = await api.data(
        SAVE_STATUS,
        {"input": {"name": "Makulerad", "closed": True, "order": 10}},
        tenant.admin_token,
    )
    assert status["saveCaseStatus"]["caseStatus"]["closed"] is True
    moved = await api.data(
        SAVE_STATUS,
        {
            "input": {
                "id": status["saveCaseStatus"]["caseStatus"]["id"],
                "name": "Makulerad",
                "order": -1,
            }
        },
        tenant.admin_token,
    )
    assert moved["saveCaseStatus"]["caseStatus"]["order"] == -1
    settings = (await api.data(SETTINGS, token=tenant.admin_token))["caseModuleSettings"]
    assert settings["statuses"][0]["name"] == "Makulerad"
    assert settings["priorities"][-1]["name"] == "Kritisk"


async def test_renaming_an_option_keeps_case_search_current(api: Api) -> None:
    tenant = await api.new_tenant()
    options = await tenant.options()
    await tenant.register_case(title="Trasig dörr")
    renamed = await api.data(
        SAVE_STATUS,
        {"input": {"id": options["statuses"]["Ny"], "name": "Inkommen"}},
        tenant.admin_token,
    )
    assert renamed["saveCaseStatus"]["userErrors"] == []
    found = await api.data(
        '{ cases(search: "inkommen") { edges { node { title status { name } } } } }',
        token=tenant.admin_token,
    )
    assert [e["node"] for e in found["cases"]["edges"]] == [
        {"title": "Trasig dörr", "status": {"name": "Inkommen"}}
    ]


async def test_task_and_form_templates(api: Api) -> None:
    tenant = await api.new_tenant()
    bad = await api.data(
        SAVE_TASK_TEMPLATE, {"input": {"name": "Tom", "tasks": []}}, tenant.admin_token
    )
    assert errors_by_field(bad["saveTaskTemplate"]) == {("input", "tasks"): "REQUIRED"}
    saved = await api.data(
        SAVE_TASK_TEMPLATE,
        {"input": {"name": "Besiktning", "tasks": ["Boka tid", " Besiktiga "]}},
        tenant.admin_token,
    )
    template = saved["saveTaskTemplate"]["taskTemplate"]
    assert template["tasks"] == ["Boka tid", "Besiktiga"]
    changed = await api.data(
        SAVE_TASK_TEMPLATE,
        {"input": {"id": template["id"], "name": "Besiktning", "tasks": ["Boka tid"]}},
        tenant.admin_token,
    )
    assert changed["saveTaskTemplate"]["taskTemplate"] == {**template, "tasks": ["Boka tid"]}

    bad_form = await api.data(
        SAVE_FORM_TEMPLATE,
        {
            "input": {
                "name": "Skyddsrond",
                "questions": [{"key": "risk", "label": "Risk", "kind": "SELECT"}],
            }
        },
        tenant.admin_token,
    )
    assert errors_by_field(bad_form["saveFormTemplate"]) == {
        ("input", "questions", "0", "options"): "INVALID"
    }
    form = await api.data(
        SAVE_FORM_TEMPLATE,
        {
            "input": {
                "name": "Skyddsrond",
                "questions": [
                    {
                        "key": "risk",
                        "label": "Risk",
                        "kind": "SELECT",
                        "options": ["Låg", "Hög"],
                        "required": True,
                    },
                    {"key": "checked", "label": "Kontrollerad", "kind": "DATE"},
                ],
            }
        },
        tenant.admin_token,
    )
    assert form["saveFormTemplate"]["formTemplate"]["questions"][0] == {
        "key": "risk",
        "label": "Risk",
        "kind": "SELECT",
        "required": True,
        "options": ["Låg", "Hög"],
    }
    settings = (await api.data(SETTINGS, token=tenant.admin_token))["caseModuleSettings"]
    assert [t["name"] for t in settings["formTemplates"]] == ["Skyddsrond"]
    assert [t["name"] for t in settings["taskTemplates"]] == ["Besiktning"]
