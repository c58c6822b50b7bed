"""Registering a case: on a customer, an object, from a project, or internal."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from db.models import Case, OutboxMessage
from tests.support.case_documents import REGISTER, SAVE_CASE_TYPE, UPDATE_SETTINGS, errors_by_field
from tests.support.client import Api, Tenant, unique

TEMPLATES = """mutation {
  t: saveTaskTemplate(input: {name: "Felanmälan", tasks: ["Kontakta kund", "Åtgärda"]}) {
    taskTemplate { id } userErrors { code } }
  f: saveFormTemplate(input: {name: "Egenkontroll", questions: [
      {key: "ok", label: "Allt fungerar", kind: BOOLEAN, required: true},
      {key: "note", label: "Anteckning", kind: TEXT}]}) {
    formTemplate { id } userErrors { code } } }"""


async def register(api: Api, token: str, **given: Any) -> dict[str, Any]:
    data = await api.data(REGISTER, {"input": given}, token)
    payload: dict[str, Any] = data["registerCase"]
    return payload


async def _case_count(api: Api, tenant: Tenant) -> int:
    data = await api.data("{ cases { totalCount } }", token=tenant.admin_token)
    count: int = data["cases"]["totalCount"]
    return count


async def test_case_on_a_customer_with_a_contact(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    sara = await tenant.create_user("Sara Nilsson")
    group = await tenant.create_group("Service Göteborg", [sara["id"]])
    customer = await tenant.create_customer(
        "Brf Solbacken", location={"lat": 57.7089, "lng": 11.9746}
    )
    contact = await tenant.create_contact(customer["id"], "Karin Svensson")
    options = await tenant.options()
    payload = await register(
        api,
        erik["token"],
        customerId=customer["id"],
        contactId=contact["id"],
        title="Läckande kran i tvättstugan",
        description="Droppar sedan i går.",
        assignedUserIds=[erik["id"], sara["id"], erik["id"]],
        assignedGroupIds=[group["id"]],
        responsibleId=sara["id"],
        deadline="2027-01-15T09:00:00+01:00",
        typeId=options["types"]["Felanmälan"],
        priorityId=options["priorities"]["Hög"],
        visibleInPortal=True,
        color="#FF8800",
    )
    assert payload["userErrors"] == []
    case = payload["case"]
    assert case["number"] == 1
    assert case["title"] == "Läckande kran i tvättstugan"
    assert case["customer"] == customer
    assert case["contact"] == {"id": contact["id"], "name": "Karin Svensson"}
    assert [u["name"] for u in case["assignedUsers"]] == ["Erik Johansson", "Sara Nilsson"]
    assert case["assignedGroups"] == [group]
    assert case["responsible"]["id"] == sara["id"]
    assert case["createdBy"] == {"id": erik["id"]}
    assert case["deadline"] == "2027-01-15T08:00:00+00:00"
    assert case["type"]["name"] == "Felanmälan"
    assert case["priority"]["name"] == "Hög"
    # Not given: the status takes its default from the settings.
    assert case["status"] == {"id": options["statuses"]["Ny"], "name": "Ny", "closed": False}
    assert case["visibleInPortal"] is True
    assert case["color"] == "#ff8800"
    assert case["location"] == {"lat": 57.7089, "lng": 11.9746}, "the customer's location"
    assert case["object"] is None and case["project"] is None

    async with api.db.session(tenant.pk) as session:
        row = await session.scalar(select(Case).where(Case.number == 1))
    assert row is not None and row.reply_token and len(row.reply_token) >= 30
    for text in ("1", "läckande kran", "droppar", "brf solbacken", "karin svensson", "felanmälan"):
        assert text in row.search_text
    for text in ("ny", "hög", "erik johansson", "sara nilsson", "service göteborg"):
        assert text in row.search_text


async def test_case_on_an_object_takes_its_customer_and_location(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer("Fastighets AB Kvarnen")
    obj = await tenant.create_object(
        "Hiss A", customerId=customer["id"], location={"lat": 57.6554, "lng": 12.0138}
    )
    case = (await register(api, tenant.admin_token, objectId=obj["id"], title="Hissen står"))[
        "case"
    ]
    assert case["object"] == obj
    assert case["customer"] == customer
    assert case["location"] == {"lat": 57.6554, "lng": 12.0138}

    # The input's location comes before the object's.
    given = {"lat": 57.7, "lng": 12.1}
    case = (await register(api, tenant.admin_token, objectId=obj["id"], title="X", location=given))[
        "case"
    ]
    assert case["location"] == given

    # An object without a customer gives a case without one.
    lonely = await tenant.create_object("Pumphus")
    case = (await register(api, tenant.admin_token, objectId=lonely["id"], title="Pump"))["case"]
    assert case["customer"] is None and case["object"] == lonely


async def test_case_from_a_project_links_it_and_takes_its_customer(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer("Uppsala Hem AB")
    project = (
        await api.data(
            """mutation($c: ID!) { createProject(input: {name: "Stambyte 2027", customerId: $c})
                 { project { id name } } }""",
            {"c": customer["id"]},
            tenant.admin_token,
        )
    )["createProject"]["project"]
    case = (await register(api, tenant.admin_token, projectId=project["id"], title="Tidplan"))[
        "case"
    ]
    assert case["project"] == project
    assert case["customer"] == customer


async def test_internal_case_has_no_customer(api: Api) -> None:
    tenant = await api.new_tenant()
    case = (await register(api, tenant.admin_token, title="Beställ arbetskläder"))["case"]
    assert case["customer"] is None and case["contact"] is None and case["location"] is None
    assert case["status"]["name"] == "Ny"
    assert case["priority"]["name"] == "Normal", "the seeded default priority"


async def test_every_problem_is_reported_at_once_and_nothing_is_written(api: Api) -> None:
    tenant = await api.new_tenant()
    kvarnen = await tenant.create_customer("Kvarnen")
    solbacken = await tenant.create_customer("Solbacken")
    someone_else = await tenant.create_contact(solbacken["id"], "Per Holm", "per@kund.se")
    options = await tenant.options()
    inactive = await api.data(
        """mutation($id: ID!) { saveCasePriority(input: {id: $id, name: "Låg", active: false})
             { casePriority { active } userErrors { code } } }""",
        {"id": options["priorities"]["Låg"]},
        tenant.admin_token,
    )
    assert inactive["saveCasePriority"]["casePriority"]["active"] is False
    case_type = await api.data(
        SAVE_CASE_TYPE,
        {
            "input": {
                "name": "Vattenskada",
                "fields": [
                    {"key": "floor", "label": "Våning", "kind": "NUMBER", "required": True},
                    {"key": "insured", "label": "Försäkrad", "kind": "BOOLEAN"},
                    {"key": "found", "label": "Upptäckt", "kind": "DATE", "required": True},
                    {"key": "room", "label": "Rum", "kind": "SELECT", "options": ["Kök", "Bad"]},
                ],
            }
        },
        tenant.admin_token,
    )
    type_id = case_type["saveCaseType"]["caseType"]["id"]

    payload = await register(
        api,
        tenant.admin_token,
        customerId=kvarnen["id"],
        contactId=someone_else["id"],
        priorityId=options["priorities"]["Låg"],
        typeId=type_id,
        assignedUserIds=["not-an-id"],
        customFields=[
            {"key": "insured", "value": "kanske"},
            {"key": "room", "value": "Hall"},
            {"key": "found", "value": "2026-13-45"},
            {"key": "colour", "value": "blå"},
        ],
    )
    assert payload["case"] is None
    assert errors_by_field(payload) == {
        ("input", "title"): "REQUIRED",
        ("input", "contactId"): "INVALID",
        ("input", "priorityId"): "INVALID",
        ("input", "assignedUserIds"): "NOT_FOUND",
        ("input", "customFields", "insured"): "INVALID",
        ("input", "customFields", "room"): "INVALID",
        ("input", "customFields", "found"): "INVALID",
        ("input", "customFields", "colour"): "INVALID",
        ("input", "customFields", "floor"): "REQUIRED",
    }
    assert await _case_count(api, tenant) == 0

    good = await register(
        api,
        tenant.admin_token,
        title="Vatten i källaren",
        typeId=type_id,
        customFields=[
            {"key": "floor", "value": " -1 "},
            {"key": "found", "value": "2026-11-20"},
            {"key": "insured", "value": "Ja"},
        ],
    )
    assert good["userErrors"] == []
    assert good["case"]["customFields"] == [
        {"key": "floor", "label": "Våning", "value": "-1"},
        {"key": "insured", "label": "Försäkrad", "value": "true"},
        {"key": "found", "label": "Upptäckt", "value": "2026-11-20"},
        {"key": "room", "label": "Rum", "value": None},
    ]
    # Custom fields belong to the case's type: another type knows none of them.
    other = await register(
        api,
        tenant.admin_token,
        title="Utan fält",
        customFields=[{"key": "floor", "value": "2"}],
    )
    assert errors_by_field(other) == {("input", "customFields", "floor"): "INVALID"}


async def test_ids_of_another_tenant_are_not_found(api: Api) -> None:
    other = await api.new_tenant("Främmande AB")
    their_customer = await other.create_customer("Hemlig Kund")
    their_options = await other.options()
    tenant = await api.new_tenant()
    payload = await register(
        api,
        tenant.admin_token,
        title="Försök",
        customerId=their_customer["id"],
        typeId=their_options["types"]["Service"],
        statusId=their_options["statuses"]["Ny"],
    )
    assert errors_by_field(payload) == {
        ("input", "customerId"): "NOT_FOUND",
        ("input", "typeId"): "NOT_FOUND",
        ("input", "statusId"): "NOT_FOUND",
    }


async def test_hidden_fields_are_ignored_and_defaults_apply(api: Api) -> None:
    tenant = await api.new_tenant()
    member = await tenant.create_user()
    group = await tenant.create_group("Fastighetsjour", [member["id"]])
    options = await tenant.options()
    settings = await api.data(
        UPDATE_SETTINGS,
        {
            "input": {
                "fields": [
                    {"field": "COLOR", "visible": False, "defaultValue": "#123456"},
                    {"field": "ASSIGNED_GROUPS", "defaultValue": group["id"]},
                    {"field": "VISIBLE_IN_PORTAL", "defaultValue": "true"},
                    {"field": "DEADLINE", "defaultValue": "P2D"},
                    {"field": "TYPE", "defaultValue": options["types"]["Service"]},
                    {"field": "PRIORITY", "visible": False, "required": False},
                ]
            }
        },
        tenant.admin_token,
    )
    assert settings["updateCaseModuleSettings"]["userErrors"] == []
    case = (
        await register(
            api,
            member["token"],
            title="Årlig service",
            color="#ffffff",
            priorityId=options["priorities"]["Akut"],
        )
    )["case"]
    assert case["color"] == "#123456", "a hidden field's value is ignored; its default applies"
    assert case["priority"]["name"] == "Normal"
    assert case["assignedGroups"] == [group]
    assert case["visibleInPortal"] is True
    assert case["type"]["name"] == "Service"
    assert case["deadline"] is not None and case["deadline"] > case["createdAt"]
    # A value given for a visible field wins over its default.
    case = (await register(api, member["token"], title="Snabbt", visibleInPortal=False))["case"]
    assert case["visibleInPortal"] is False


async def test_task_and_form_templates_create_tasks_and_forms(api: Api) -> None:
    tenant = await api.new_tenant()
    templates = await api.data(TEMPLATES, token=tenant.admin_token)
    case = (
        await register(
            api,
            tenant.admin_token,
            title="Stopp i avlopp",
            taskTemplateIds=[templates["t"]["taskTemplate"]["id"]],
            formTemplateIds=[templates["f"]["formTemplate"]["id"]],
        )
    )["case"]
    assert [(t["title"], t["done"]) for t in case["tasks"]] == [
        ("Kontakta kund", False),
        ("Åtgärda", False),
    ]
    assert case["forms"][0]["name"] == "Egenkontroll"
    assert case["forms"][0]["answers"] == [
        {"key": "ok", "label": "Allt fungerar", "kind": "BOOLEAN", "value": None},
        {"key": "note", "label": "Anteckning", "kind": "TEXT", "value": None},
    ]
    unknown = await register(api, tenant.admin_token, title="X", taskTemplateIds=["bogus"])
    assert errors_by_field(unknown) == {("input", "taskTemplateIds"): "NOT_FOUND"}


async def test_confirmation_is_sent_to_the_contact(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer("Brf Solbacken")
    address = f"{unique('karin')}@solbacken.se"
    karin = await tenant.create_contact(customer["id"], "Karin Svensson", address)
    no_mail = await tenant.create_contact(customer["id"], "Per utan e-post")

    refused = await register(
        api, tenant.admin_token, title="Ny port", customerId=customer["id"], sendConfirmation=True
    )
    assert errors_by_field(refused) == {("input", "sendConfirmation"): "INVALID"}
    refused = await register(
        api,
        tenant.admin_token,
        title="Ny port",
        customerId=customer["id"],
        contactId=no_mail["id"],
        sendConfirmation=True,
    )
    assert errors_by_field(refused) == {("input", "sendConfirmation"): "INVALID"}

    case = (
        await register(
            api,
            tenant.admin_token,
            title="Ny port",
            customerId=customer["id"],
            contactId=karin["id"],
            sendConfirmation=True,
        )
    )["case"]
    async with api.db.session(tenant.pk) as session:
        mail = list(
            (
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.tenant_id == tenant.pk)
                )
            ).all()
        )
    assert len(mail) == 1, "the refused registrations queued nothing"
    assert (mail[0].channel, mail[0].recipient) == ("EMAIL", address)
    # Delivered by SMTP, with the case's reply address: a reply joins its conversation.
    [received] = await api.mail.wait_for(address)
    assert str(case["number"]) in received.message["Subject"]
    assert "Ny port" in received.text
    async with api.db.session(tenant.pk) as session:
        token = await session.scalar(select(Case.reply_token).where(Case.number == case["number"]))
    assert received.message["Reply-To"] == f"reply+{token}@inbound.workcloud.test"
    assert "Ny port" in mail[0].body


async def test_concurrent_registrations_get_unique_numbers(api: Api) -> None:
    tenant = await api.new_tenant()
    users = [await tenant.create_user(f"Handläggare {i}") for i in range(3)]
    cases = await asyncio.gather(
        *(tenant.register_case(users[i % 3]["token"], title=f"Samtidigt {i}") for i in range(10))
    )
    assert sorted(c["number"] for c in cases) == list(range(1, 11))
    # Another tenant counts from 1 on its own.
    other = await api.new_tenant()
    assert (await other.register_case(title="Första"))["number"] == 1


async def test_a_default_confirmation_is_sent_where_it_can_be(api: Api) -> None:
    tenant = await api.new_tenant()
    await api.data(
        UPDATE_SETTINGS,
        {"input": {"fields": [{"field": "SEND_CONFIRMATION", "defaultValue": "true"}]}},
        tenant.admin_token,
    )
    customer = await tenant.create_customer("Brf Solbacken")
    karin = await tenant.create_contact(customer["id"], "Karin Svensson", "karin@solbacken.se")
    await tenant.register_case(title="Internt, utan kontakt")
    await tenant.register_case(title="Till Karin", customerId=customer["id"], contactId=karin["id"])
    async with api.db.session(tenant.pk) as session:
        recipients = (
            await session.scalars(
                select(OutboxMessage.recipient).where(OutboxMessage.tenant_id == tenant.pk)
            )
        ).all()
    assert list(recipients) == ["karin@solbacken.se"]
