"""SMS through the outbox to the provider: on a case, or as a mass SMS to staff."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import func, select

from db.models import OutboxMessage
from domain.sms import mobile_number
from tests.support.client import Api, eventually
from tests.support.sms_gateway import UNREACHABLE

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


async def test_any_staff_user_may_send_a_mass_sms_to_staff(api: Api) -> None:
    tenant = await api.new_tenant()
    await tenant.update_settings(smsEnabled=True)
    anna_phone, anna_number = mobile()
    olle_phone, olle_number = mobile()
    anna = await tenant.create_user("Anna Berg", phone=anna_phone)
    olle = await tenant.create_user("Olle Ek", phone=olle_phone)

    # A member, not only an administrator, may send one.
    result = await send_sms(
        api, anna["token"], userIds=[anna["id"], olle["id"]], body="Personalmöte i morgon kl 8."
    )
    assert result["userErrors"] == []
    assert len(result["messages"]) == 2
    for number in (anna_number, olle_number):
        [sms] = await api.sms.wait_for(number)
        assert sms.message == "Personalmöte i morgon kl 8."
    by_admin = await send_sms(api, tenant.admin_token, userIds=[olle["id"]], body="Glöm ej.")
    assert by_admin["userErrors"] == []
    seen = await api.data(
        "query($id: ID!) { node(id: $id) { ... on SmsMessage { sentBy { name } } } }",
        {"id": result["messages"][0]["id"]},
        olle["token"],
    )
    assert seen["node"] == {"sentBy": {"name": "Anna Berg"}}

    # While SMS is off, nobody may: neither a member nor the administrator.
    await tenant.update_settings(smsEnabled=False)
    for token in (anna["token"], tenant.admin_token):
        off = await send_sms(api, token, userIds=[olle["id"]], body="Hej igen")
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
    async with api.db.session(None) as session:
        queued = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.tenant_id == tenant.pk)
        )
    assert queued == 3  # Anna's two and the administrator's one

    # Other tenants' users are not recipients, and portal contacts may not send at all.
    other = await api.new_tenant("Annan AB")
    stranger = await other.create_user("Främling", phone=mobile()[0])
    foreign = await send_sms(api, anna["token"], userIds=[stranger["id"]], body="Hej")
    assert [e["code"] for e in foreign["userErrors"]] == ["NOT_FOUND"]
    customer = await tenant.create_customer()
    portal = await tenant.create_portal_contact(customer["id"])
    assert await api.error_codes(
        SEND_SMS, {"input": {"userIds": [olle["id"]], "body": "Hej"}}, portal["token"]
    ) == ["FORBIDDEN"]

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


CASE_SMS = """query($id: ID!, $first: Int, $after: String) { case(id: $id) {
  smsMessages(first: $first, after: $after) { totalCount
    edges { node { id body phoneNumber recipientName deliveryStatus sentBy { name } } }
    pageInfo { hasNextPage endCursor } } } }"""


async def test_the_sms_sent_on_a_case_are_listed_on_it_oldest_first(api: Api) -> None:
    tenant = await api.new_tenant()
    await tenant.update_settings(smsEnabled=True)
    erik_phone, erik_number = mobile()
    erik = await tenant.create_user("Erik Johansson", phone=erik_phone)
    sara = await tenant.create_user("Sara Nilsson")
    customer = await tenant.create_customer()
    karin_phone, karin_number = mobile()
    karin = await tenant.create_contact(customer["id"], "Karin Svensson", phone=karin_phone)
    case = await tenant.register_case(customerId=customer["id"], contactId=karin["id"])
    other_case = await tenant.register_case(title="Annat ärende")

    first = await send_sms(api, erik["token"], caseId=case["id"], body="Vi kommer kl 9.")
    second = await send_sms(
        api, sara["token"], caseId=case["id"], userIds=[erik["id"]], body="Ta med nyckeln."
    )
    # Neither a mass SMS nor one on another case is listed on this one.
    await send_sms(api, sara["token"], userIds=[erik["id"]], body="Personalmöte.")
    await send_sms(api, sara["token"], caseId=other_case["id"], userIds=[erik["id"]], body="X")
    assert first["userErrors"] == second["userErrors"] == []

    data = await api.data(CASE_SMS, {"id": case["id"]}, sara["token"])
    listed = data["case"]["smsMessages"]
    assert listed["totalCount"] == 2
    nodes = [e["node"] for e in listed["edges"]]
    assert [(n["body"], n["phoneNumber"], n["recipientName"], n["sentBy"]) for n in nodes] == [
        ("Vi kommer kl 9.", karin_number, "Karin Svensson", {"name": "Erik Johansson"}),
        ("Ta med nyckeln.", erik_number, "Erik Johansson", {"name": "Sara Nilsson"}),
    ]
    assert [n["id"] for n in nodes] == [
        first["messages"][0]["id"],
        second["messages"][0]["id"],
    ]
    page = await api.data(CASE_SMS, {"id": case["id"], "first": 1}, sara["token"])
    one = page["case"]["smsMessages"]
    assert [e["node"]["body"] for e in one["edges"]] == ["Vi kommer kl 9."]
    assert one["pageInfo"]["hasNextPage"] is True
    rest = await api.data(
        CASE_SMS, {"id": case["id"], "after": one["pageInfo"]["endCursor"]}, sara["token"]
    )
    assert [e["node"]["body"] for e in rest["case"]["smsMessages"]["edges"]] == ["Ta med nyckeln."]
    nothing = await api.data(CASE_SMS, {"id": other_case["id"]}, sara["token"])
    assert [e["node"]["body"] for e in nothing["case"]["smsMessages"]["edges"]] == ["X"]

    # Another tenant cannot reach the case, nor so its SMS.
    other = await api.new_tenant("Annan AB")
    assert (await api.data(CASE_SMS, {"id": case["id"]}, other.admin_token))["case"] is None


async def test_a_case_s_sms_list_costs_the_same_statements_for_two_or_twenty(api: Api) -> None:
    tenant = await api.new_tenant()
    await tenant.update_settings(smsEnabled=True)
    senders = [await tenant.create_user(f"Handläggare {i}", phone=mobile()[0]) for i in range(4)]
    small = await tenant.register_case(title="Få SMS")
    large = await tenant.register_case(title="Många SMS")
    for case, count in ((small, 2), (large, 20)):
        for i in range(count):
            sender = senders[i % 4]
            result = await send_sms(
                api, sender["token"], caseId=case["id"], userIds=[sender["id"]], body=f"SMS {i}"
            )
            assert result["userErrors"] == []

    counts = {}
    for case, count in ((small, 2), (large, 20)):
        async with api.counting_statements() as counter:
            data = await api.data(CASE_SMS, {"id": case["id"], "first": 50}, tenant.admin_token)
        edges = data["case"]["smsMessages"]["edges"]
        assert len(edges) == count
        assert all(e["node"]["sentBy"]["name"].startswith("Handläggare") for e in edges)
        counts[count] = counter.count
    assert counts[2] == counts[20], counts
