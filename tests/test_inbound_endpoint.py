"""A customer's e-mail reply comes back through POST /inbound/email into the conversation."""

from __future__ import annotations

import os
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from tests.conftest import INBOUND_SECRET
from tests.support.client import Api
from tests.test_customer_conversation import (
    PORTAL_CASES,
    conversation,
    customer_messages_notified,
    send,
)


def reply(to: str, sender: str, text: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = "Re: Ärende #1: Läckande element i trapphuset"
    mail.set_content(text)
    return bytes(mail)


async def post(
    api: Api, raw: bytes, secret: str | None = INBOUND_SECRET, recipient: str | None = None
) -> tuple[int, dict[str, str]]:
    headers = {"Content-Type": "message/rfc822"}
    if secret is not None:
        headers["X-Inbound-Secret"] = secret
    # An MTA's pipe pastes the envelope recipient into the URL unencoded, so the server
    # reads its "+" as a space: send it the way it then arrives.
    params = {"recipient": recipient.replace("+", " ")} if recipient else {}
    response = await api.http.post("/inbound/email", content=raw, headers=headers, params=params)
    body: dict[str, str] = response.json()
    return response.status_code, body


async def test_an_email_reply_is_threaded_into_the_conversation(api: Api) -> None:
    c = await conversation(api)
    await send(api, c)
    [mail] = await api.mail.wait_for(c.contact["email"])
    reply_to = mail.message["Reply-To"]

    status, body = await post(
        api,
        reply(
            reply_to,
            f"Karin Svensson <{c.contact['email']}>",
            "Tack, torsdag passar bra.\n\n"
            "Den tors 3 dec. 2026 kl. 10:12 skrev Erik Johansson <arenden@kvarnen.test>:\n"
            "> Hej Karin! Vi kommer på torsdag.\n",
        ),
    )
    assert status == 200, body
    assert body["status"] == "threaded"

    portal_case = await c.portal_case()
    messages = [e["node"] for e in portal_case["messages"]["edges"]]
    assert [(m["direction"], m["body"]) for m in messages] == [
        ("TO_CUSTOMER", "Hej Karin! Vi kommer på torsdag."),
        ("FROM_CUSTOMER", "Tack, torsdag passar bra."),
    ]
    assert messages[1]["id"] == body["messageId"]
    # The staff read the same conversation on the case.
    on_case = [e["node"] for e in (await c.staff_view())["messages"]["edges"]]
    assert [(m["direction"], m["body"]) for m in on_case] == [
        (m["direction"], m["body"]) for m in messages
    ]
    assert messages[1]["authorName"] == "Karin Svensson"
    assert messages[1]["deliveryStatus"] == "RECEIVED"
    [notified] = await customer_messages_notified(api, c.staff["token"])
    assert notified["message"] == {"id": body["messageId"], "body": "Tack, torsdag passar bra."}
    events = (await c.staff_view())["events"]["edges"]
    assert {"action": "CUSTOMER_MESSAGE_RECEIVED", "actorName": "Karin Svensson"} in [
        e["node"] for e in events
    ]


async def test_a_reply_from_another_address_is_signed_by_its_sender(api: Api) -> None:
    c = await conversation(api)
    await send(api, c)
    [mail] = await api.mail.wait_for(c.contact["email"])
    status, body = await post(
        api,
        reply(
            "kundtjanst@kvarnen.example.se",  # the envelope recipient is passed as a parameter
            "Per Holm <per.holm@solbacken.example.se>",
            "Jag är Karins granne, det läcker hos mig också.\n\n"
            "On Thu, 3 Dec 2026 at 10:12, Erik Johansson <arenden@kvarnen.test>\nwrote:\n"
            "> Hej Karin!\n",
        ),
        recipient=mail.message["Reply-To"],
    )
    assert status == 200, body
    data = await api.data(PORTAL_CASES, token=c.contact["token"])
    last = data["portalCases"]["edges"][0]["node"]["messages"]["edges"][-1]["node"]
    assert last["authorName"] == "Per Holm"
    assert last["body"] == "Jag är Karins granne, det läcker hos mig också."


async def test_a_reply_with_a_large_photo_attached_is_taken(api: Api) -> None:
    c = await conversation(api)
    await send(api, c)
    [mail] = await api.mail.wait_for(c.contact["email"])
    raw = reply(mail.message["Reply-To"], c.contact["email"], "Här är en bild på läckan.")
    with_photo = message_from_bytes(raw, policy=default)
    assert isinstance(with_photo, EmailMessage)
    photo = os.urandom(3 * api.settings.max_request_bytes)  # well past the API's usual limit
    with_photo.add_attachment(photo, maintype="image", subtype="jpeg", filename="lacka.jpg")
    status, body = await post(api, bytes(with_photo))
    assert status == 200, body
    last = (await c.portal_case())["messages"]["edges"][-1]["node"]
    assert last["body"] == "Här är en bild på läckan."


async def test_inbound_mail_is_refused_without_the_secret_or_a_known_reply_address(
    api: Api,
) -> None:
    c = await conversation(api)
    await send(api, c)
    [mail] = await api.mail.wait_for(c.contact["email"])
    good = reply(mail.message["Reply-To"], c.contact["email"], "Hej!")

    assert (await post(api, good, secret=None))[0] == 401
    assert (await post(api, good, secret="gissning"))[0] == 403
    unknown = reply(f"reply+{'0' * 32}@inbound.workcloud.test", c.contact["email"], "Hej!")
    assert (await post(api, unknown))[0] == 404
    no_token = reply("info@inbound.workcloud.test", c.contact["email"], "Hej!")
    assert (await post(api, no_token))[0] == 404
    assert (await post(api, b"not a mail at all"))[0] == 400
    only_quote = reply(mail.message["Reply-To"], c.contact["email"], "> Hej Karin!\n")
    assert (await post(api, only_quote))[0] == 422

    portal_case = await c.portal_case()
    assert portal_case["messages"]["totalCount"] == 1
    assert await customer_messages_notified(api, c.staff["token"]) == []


def raw_reply(to: str, from_header: bytes, headers: bytes, body: bytes) -> bytes:
    """A reply as some mail programs really send it: bytes, not what EmailMessage writes."""
    return (
        b"From: "
        + from_header
        + b"\r\nTo: "
        + to.encode()
        + b"\r\nSubject: Re: Arende\r\n"
        + headers
        + b"\r\n"
        + body
    )


async def last_message(c: Any) -> dict[str, Any]:
    node: dict[str, Any] = (await c.portal_case())["messages"]["edges"][-1]["node"]
    return node


async def test_a_reply_in_an_unknown_charset_is_read_as_well_as_it_can_be(api: Api) -> None:
    c = await conversation(api)
    await send(api, c)
    [mail] = await api.mail.wait_for(c.contact["email"])
    to = mail.message["Reply-To"]
    stranger = b"Per Holm <per.holm@solbacken.example.se>"
    for charset in (b"x-nonexistent-charset", b"idna", b"rot13", b"utf-8"):
        headers = b"Content-Type: text/plain; charset=" + charset + b"\r\n"
        body = b"Tack, det g\xc3\xa5r bra \xff\xfe p\xe5 torsdag.\r\n"
        status, answer = await post(api, raw_reply(to, stranger, headers, body))
        assert status == 200, (charset, answer)
        last = await last_message(c)
        assert last["id"] == answer["messageId"]
        assert last["body"].startswith("Tack, det går bra "), last
        assert last["body"].endswith(" torsdag."), last
        assert "\x00" not in last["body"]

    for name in (
        b"=?x-nonexistent-charset?q?Per_Holm?=",
        b"=?x-nonexistent-charset?b?UGVyIEhvbG0=?=",
        b"=?utf-8?q?Per_=FF=FEHolm?=",
        b"Per \xe5 Holm",
    ):
        sender = name + b" <per.holm@solbacken.example.se>"
        status, answer = await post(api, raw_reply(to, sender, b"", b"Hej igen.\r\n"))
        assert status == 200, (name, answer)
        last = await last_message(c)
        assert last["body"] == "Hej igen."
        assert "Per" in last["authorName"] and "Holm" in last["authorName"], last


async def test_control_characters_in_a_reply_are_dropped_on_every_backend(api: Api) -> None:
    c = await conversation(api)
    await send(api, c)
    [mail] = await api.mail.wait_for(c.contact["email"])
    to = mail.message["Reply-To"]
    senders = [
        b"=?utf-8?q?Per=00_Holm?= <per.holm@solbacken.example.se>",
        b"=?utf-8?b?UGVyAEhvbG0=?= <per.holm@solbacken.example.se>",
        b"Per\x00 Holm <per.holm@solbacken.example.se>",
        b"Per\x01\x1b Holm\x7f <per.holm@solbacken.example.se>",
        b"=?utf-8?q?Per=01=1B_Holm=7F?= <per.holm@solbacken.example.se>",
    ]
    for sender in senders:
        headers = b"Content-Type: text/plain; charset=utf-8\r\n"
        body = b"Tack\x00 f\xc3\xb6r\x01 \x1b[31mbesked\x7f.\r\nRad tv\xc3\xa5\tmed tabb.\r\n"
        status, answer = await post(api, raw_reply(to, sender, headers, body))
        assert status == 200, (sender, answer)
        last = await last_message(c)
        assert last["body"] == "Tack för [31mbesked.\nRad två\tmed tabb.", last
        assert last["authorName"] in ("Per Holm", "PerHolm", "Per  Holm"), last
    events = (await c.staff_view())["events"]["edges"]
    names = {
        e["node"]["actorName"] for e in events if e["node"]["action"] == "CUSTOMER_MESSAGE_RECEIVED"
    }
    assert all("\x00" not in n and "\x01" not in n for n in names), names

    long_name = ("Per Holm " * 40).encode()
    status, answer = await post(api, raw_reply(to, long_name + b"<p@x.se>", b"", b"Lang.\r\n"))
    assert status == 200, answer
    last = await last_message(c)
    assert len(last["authorName"]) == 200 and last["authorName"].endswith("…"), last


async def test_a_reply_that_cannot_be_read_at_all_is_refused_not_failed(api: Api) -> None:
    c = await conversation(api)
    await send(api, c)
    [mail] = await api.mail.wait_for(c.contact["email"])
    to = mail.message["Reply-To"].encode()
    unreadable = [
        b"From: k@x.se\r\nTo: =?utf-8?q?x?= <\r\nDelivered-To: " + to + b"\r\n\r\nHej",
        b"From: k@x.se\r\nCc: =?utf-8?q?x?= <\r\nTo: " + to + b"\r\n\r\nHej",
        # A line break inside a sender's name, which the mail package refuses to parse.
        b"From: =?utf-8?q?Per=0D=0A_Holm?= <p@x.se>\r\nTo: " + to + b"\r\n\r\nHej",
    ]
    for raw in unreadable:
        status, answer = await post(api, raw)
        assert status == 422, answer
        assert "cannot be read" in answer["error"]
    assert (await c.portal_case())["messages"]["totalCount"] == 1


SENDERS = """query($id: ID!) { case(id: $id) { messages { edges { node {
  body authorName direction senderAddress fromUnknownSender } } } } }"""


async def staff_senders(api: Api, c: Any) -> list[tuple[str, str, str | None, bool]]:
    data = await api.data(SENDERS, {"id": c.case["id"]}, c.staff["token"])
    nodes = [e["node"] for e in data["case"]["messages"]["edges"]]
    return [(n["body"], n["authorName"], n["senderAddress"], n["fromUnknownSender"]) for n in nodes]


async def test_a_reply_not_from_the_case_contact_is_marked_for_staff(api: Api) -> None:
    c = await conversation(api)
    neighbour = await c.tenant.create_contact(
        c.customer["id"], "Per Holm", "per.holm@solbacken.example.se"
    )
    await send(api, c)
    [mail] = await api.mail.wait_for(c.contact["email"])
    reply_to = mail.message["Reply-To"]
    replies = [
        (f"Karin Svensson <{c.contact['email'].upper()}>", "Från Karin."),
        ("Per Holm <Per.Holm@solbacken.example.se>", "Från Per, en annan kontakt."),
        ("Okänd <okand@example.com>", "Från någon vi inte känner."),
    ]
    for sender, text in replies:
        status, body = await post(api, reply(reply_to, sender, text))
        assert status == 200, body
    assert neighbour["name"] == "Per Holm"

    assert (await staff_senders(api, c))[1:] == [
        ("Från Karin.", "Karin Svensson", c.contact["email"].lower(), False),
        ("Från Per, en annan kontakt.", "Per Holm", "per.holm@solbacken.example.se", True),
        ("Från någon vi inte känner.", "Okänd", "okand@example.com", True),
    ]
    # Staff's own messages and the portal's carry no sender address.
    first = (await staff_senders(api, c))[0]
    assert first[2:] == (None, False)

    # The portal never sees it: asking is FORBIDDEN, for each field, on every way in.
    seen = await c.portal_case()
    portal_message_id = seen["messages"]["edges"][-1]["node"]["id"]
    for field in ("senderAddress", "fromUnknownSender"):
        listing = "{ portalCases { edges { node { messages { edges { node { %s } } } } } } }"
        codes = await api.error_codes(listing % field, token=c.contact["token"])
        assert codes and set(codes) == {"FORBIDDEN"}, codes
        by_node = "query($id: ID!) { node(id: $id) { ... on ConversationMessage { %s } } }"
        codes = await api.error_codes(
            by_node % field, {"id": portal_message_id}, c.contact["token"]
        )
        assert codes == ["FORBIDDEN"], codes


async def test_a_reply_is_refused_while_conversations_are_off_or_the_case_is_hidden(
    api: Api,
) -> None:
    c = await conversation(api)
    await send(api, c)
    [mail] = await api.mail.wait_for(c.contact["email"])
    reply_to = mail.message["Reply-To"]
    karin = f"Karin Svensson <{c.contact['email']}>"

    hidden = await api.data(
        """mutation($id: ID!) { updateCase(input: {id: $id, visibleInPortal: false})
             { userErrors { code } } }""",
        {"id": c.case["id"]},
        c.staff["token"],
    )
    assert hidden["updateCase"]["userErrors"] == []
    status, answer = await post(api, reply(reply_to, karin, "Syns det här?"))
    assert status == 422, answer
    assert answer == {"error": "The case is not visible in the customer portal."}

    shown = await api.data(
        """mutation($id: ID!) { updateCase(input: {id: $id, visibleInPortal: true})
             { userErrors { code } } }""",
        {"id": c.case["id"]},
        c.staff["token"],
    )
    assert shown["updateCase"]["userErrors"] == []
    await c.tenant.update_settings(tabs={"customerConversations": False})
    status, answer = await post(api, reply(reply_to, karin, "Och nu?"))
    assert status == 422, answer
    assert answer == {"error": "Customer conversations are turned off."}

    # Nothing was written for either: no message, no notification.
    await c.tenant.update_settings(tabs={"customerConversations": True})
    assert [m[0] for m in await staff_senders(api, c)] == ["Hej Karin! Vi kommer på torsdag."]
    assert await customer_messages_notified(api, c.staff["token"]) == []
    status, answer = await post(api, reply(reply_to, karin, "Nu går det."))
    assert status == 200, answer


async def test_a_reply_to_the_confirmation_of_a_hidden_case_is_refused(api: Api) -> None:
    c = await conversation(api, visible=False)
    confirmed = await c.tenant.register_case(
        c.staff["token"],
        title="Trasig port",
        customerId=c.customer["id"],
        contactId=c.contact["id"],
        sendConfirmation=True,
    )
    [mail] = await api.mail.wait_for(c.contact["email"])
    assert str(confirmed["number"]) in mail.message["Subject"]
    status, answer = await post(
        api, reply(mail.message["Reply-To"], c.contact["email"], "Porten går inte att stänga.")
    )
    assert status == 422, answer
