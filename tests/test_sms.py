"""SMS through the outbox to the provider: on a case, or as a mass SMS to staff."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import func, select

from db.models import OutboxMessage
from domain.sms import mobile_number
from tests.client import Api, eventually
from tests.sms_gateway import UNREACHABLE

SEND_SMS = """mutation($input: SendSmsInput!) { sendSms(input: $input) {
  messages { id recipientName phoneNumber body deliveryStatus } userErrors { field message code } } }"""
SMS_NODE = "query($id: ID!) { node(id: $id) { ... on SmsMessage { deliveryStatus } } }"


def mobile() -> tuple[str, str]:
    """A Swedish mobile number as people type it, and its E.164 form."""
    while True:
        typed = f"070-{random.randint(0, 9999999):07d}"
        e164 = mobile_number(typed)
        if e164 is not None:
            return typed, e164


async def send_sms(api: Api, token: str, **input: Any) -> dict[str, Any]:
    data = await api.data(SEND_SMS, {"input": input}, token)
    result: dict[str, Any] = data["sendSms"]
    return result


async def sms_events(api: Api, token: str, case_id: str) -> list[dict[str, Any]]:
    data = await api.data(
        """query($id: ID!) { case(id: $id) { events { edges { node {
             action actorName changes { field from to } } } } } }""",
        {"id": case_id},
        token,
    )
    events = [e["node"] for e in data["case"]["events"]["edges"]]
    return [e for e in events if e["action"] == "SMS_SENT"]


async def status_becomes(api: Api, token: str, sms_id: str, status: str) -> None:
    async def reached() -> bool:
        data = await api.data(SMS_NODE, {"id": sms_id}, token)
        return bool(data["node"]["deliveryStatus"] == status)

    await eventually(reached, what=f"deliveryStatus {status}")


async def test_an_sms_on_a_case_reaches_its_contact(api: Api) -> None:
    tenant = await api.new_tenant()
    await tenant.update_settings(smsEnabled=True)
    staff = await tenant.create_user("Erik Johansson")
    customer = await tenant.create_customer()
    typed, number = mobile()
    contact = await tenant.create_contact(customer["id"], "Karin Svensson", phone=typed)
    case = await tenant.register_case(customerId=customer["id"], contactId=contact["id"])

    result = await send_sms(
        api, staff["token"], caseId=case["id"], body="Vi kommer kl 9 i morgon. /Erik"
    )
    assert result["userErrors"] == []
    [sms] = result["messages"]
    assert sms["recipientName"] == "Karin Svensson"
    assert sms["phoneNumber"] == number
    assert sms["deliveryStatus"] in ("PENDING", "SENT")

    [received] = await api.sms.wait_for(number)
    assert received.message == "Vi kommer kl 9 i morgon. /Erik"
    assert received.sender == "WorkCloud"
    await status_becomes(api, staff["token"], sms["id"], "SENT")
    assert await sms_events(api, tenant.admin_token, case["id"]) == [
        {
            "action": "SMS_SENT",
            "actorName": "Erik Johansson",
            "changes": [{"field": "sms", "from": None, "to": f"Karin Svensson ({number})"}],
        }
    ]


async def test_an_sms_on_a_case_to_chosen_users_and_contacts(api: Api) -> None:
    tenant = await api.new_tenant()
    await tenant.update_settings(smsEnabled=True)
    erik_phone, erik_number = mobile()
    erik = await tenant.create_user("Erik Johansson", phone=erik_phone)
    customer = await tenant.create_customer()
    karin_phone, karin_number = mobile()
    karin = await tenant.create_contact(customer["id"], "Karin", phone=karin_phone)
    per_phone, per_number = mobile()
    per = await tenant.create_contact(customer["id"], "Per", phone=per_phone)
    case = await tenant.register_case(customerId=customer["id"], contactId=karin["id"])

    result = await send_sms(
        api,
        erik["token"],
        caseId=case["id"],
        userIds=[erik["id"]],
        contactIds=[per["id"]],
        body="Nyckeln finns hos Per.",
    )
    assert result["userErrors"] == []
    assert sorted(m["phoneNumber"] for m in result["messages"]) == sorted([erik_number, per_number])
    await api.sms.wait_for(erik_number)
    await api.sms.wait_for(per_number)
    assert api.sms.to(karin_number) == []

    # A contact of another customer is not one of this case's.
    other = await tenant.create_customer("Annan kund")
    stranger = await tenant.create_contact(other["id"], "Främling", phone=mobile()[0])
    refused = await send_sms(
        api, erik["token"], caseId=case["id"], contactIds=[stranger["id"]], body="Hej"
    )
    assert refused["userErrors"] == [
        {
            "field": ["input", "contactIds"],
            "message": "A contact of the case's customer was not found.",
            "code": "NOT_FOUND",
        }
    ]


async def test_a_mass_sms_to_staff_is_for_administrators(api: Api) -> None:
    tenant = await api.new_tenant()
    await tenant.update_settings(smsEnabled=True)
    anna_phone, anna_number = mobile()
    olle_phone, olle_number = mobile()
    anna = await tenant.create_user("Anna Berg", phone=anna_phone)
    olle = await tenant.create_user("Olle Ek", phone=olle_phone)

    member = await api.error_codes(
        SEND_SMS, {"input": {"userIds": [olle["id"]], "body": "Hej"}}, anna["token"]
    )
    assert member == ["FORBIDDEN"]
    result = await send_sms(
        api,
        tenant.admin_token,
        userIds=[anna["id"], olle["id"]],
        body="Personalmöte i morgon kl 8.",
    )
    assert result["userErrors"] == []
    assert len(result["messages"]) == 2
    for number in (anna_number, olle_number):
        [sms] = await api.sms.wait_for(number)
        assert sms.message == "Personalmöte i morgon kl 8."

    customer = await tenant.create_customer()
    contact = await tenant.create_contact(customer["id"], phone=mobile()[0])
    no_case = await send_sms(api, tenant.admin_token, contactIds=[contact["id"]], body="Hej")
    assert no_case["userErrors"] == [
        {
            "field": ["input", "contactIds"],
            "message": "An SMS to contacts is sent on their case.",
            "code": "INVALID",
        }
    ]
    nobody = await send_sms(api, tenant.admin_token, body="Hej")
    assert nobody["userErrors"] == [
        {
            "field": ["input", "userIds"],
            "message": "At least one recipient is required.",
            "code": "REQUIRED",
        }
    ]


async def test_sms_is_refused_when_turned_off_or_without_a_usable_number(api: Api) -> None:
    tenant = await api.new_tenant()
    phone, number = mobile()
    staff = await tenant.create_user("Erik Johansson", phone=phone)
    customer = await tenant.create_customer()
    landline = await tenant.create_contact(customer["id"], "Kontoret", phone="08-123 456 78")
    case = await tenant.register_case(customerId=customer["id"], contactId=landline["id"])

    off = await send_sms(api, staff["token"], caseId=case["id"], body="Hej")
    assert off == {
        "messages": [],
        "userErrors": [
            {
                "field": ["input"],
                "message": "SMS is turned off in the case-module settings.",
                "code": "DISABLED",
            }
        ],
    }

    await tenant.update_settings(smsEnabled=True)
    no_phone = await tenant.create_user("Utan Telefon")
    bad = await send_sms(
        api, staff["token"], caseId=case["id"], userIds=[no_phone["id"]], body="Hej"
    )
    assert bad["userErrors"] == [
        {
            "field": ["input", "userIds"],
            "message": "A mobile number for Utan Telefon is required.",
            "code": "REQUIRED",
        }
    ]
    landline_only = await send_sms(api, staff["token"], caseId=case["id"], body="Hej")
    assert landline_only["userErrors"] == [
        {
            "field": ["input", "caseId"],
            "message": "Kontoret's number +46812345678 cannot receive SMS.",
            "code": "INVALID",
        }
    ]
    async with api.db.session(None) as session:
        queued = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.tenant_id == tenant.pk)
        )
    assert queued == 0
    assert api.sms.to(number) == []
    assert await sms_events(api, tenant.admin_token, case["id"]) == []


async def test_provider_trouble_is_retried_and_refusals_show_as_failed(api: Api) -> None:
    tenant = await api.new_tenant()
    await tenant.update_settings(smsEnabled=True)
    phone, number = mobile()
    staff = await tenant.create_user("Erik", phone=phone)
    unreachable = await tenant.create_user("Nåbar Ej", phone=UNREACHABLE)

    api.sms.outages = 2
    result = await send_sms(api, tenant.admin_token, userIds=[staff["id"]], body="Test")
    [sms] = result["messages"]
    await status_becomes(api, tenant.admin_token, sms["id"], "SENT")
    assert api.sms.outages == 0
    assert len(api.sms.to(number)) == 1

    result = await send_sms(api, tenant.admin_token, userIds=[unreachable["id"]], body="Test")
    [sms] = result["messages"]
    await status_becomes(api, tenant.admin_token, sms["id"], "FAILED")
    assert api.sms.to(UNREACHABLE) == []
