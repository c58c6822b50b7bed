"""Reply templates: ready texts of one's own or shared, filled in for a case and sent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from db.models import ConversationMessage, ReplyTemplate
from tests.support.client import Api, Tenant
from tests.test_customer_conversation import SEND, Conversation, conversation

SAVE = """mutation($input: SaveReplyTemplateInput!) { saveReplyTemplate(input: $input) {
  replyTemplate { id name body shared owner { id name } } userErrors { field message code } } }"""
DELETE = """mutation($input: DeleteReplyTemplateInput!) { deleteReplyTemplate(input: $input) {
  deletedId userErrors { field message code } } }"""
TEMPLATES = "{ replyTemplates { id name body shared owner { id name } } }"
NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on ReplyTemplate { name body shared owner { name } } } }"""
RENDER = """query($t: ID!, $c: ID!) { renderReplyTemplate(templateId: $t, caseId: $c) }"""
MESSAGES = "query($id: ID!) { case(id: $id) { messages { edges { node { body } } } } }"
KNOWN = "{{case.number}}, {{case.title}}, {{customer.name}}, {{contact.name}}, {{user.name}}"


async def save(api: Api, token: str, **given: Any) -> dict[str, Any]:
    data = await api.data(SAVE, {"input": given}, token)
    payload: dict[str, Any] = data["saveReplyTemplate"]
    return payload


async def saved(api: Api, token: str, **given: Any) -> dict[str, Any]:
    """Set-up: a template that must save; the template."""
    payload = await save(api, token, **given)
    assert payload["userErrors"] == [], payload
    template: dict[str, Any] = payload["replyTemplate"]
    return template


async def delete(api: Api, token: str, template_id: str) -> dict[str, Any]:
    data = await api.data(DELETE, {"input": {"id": template_id}}, token)
    payload: dict[str, Any] = data["deleteReplyTemplate"]
    return payload


async def listed(api: Api, token: str) -> list[dict[str, Any]]:
    data = await api.data(TEMPLATES, token=token)
    templates: list[dict[str, Any]] = data["replyTemplates"]
    return templates


async def rendered(api: Api, token: str, template_id: str, case_id: str) -> str:
    data = await api.data(RENDER, {"t": template_id, "c": case_id}, token)
    text: str = data["renderReplyTemplate"]
    return text


async def stored_templates(api: Api, tenant: Tenant) -> list[tuple[str, str, bool]]:
    async with api.db.session(None) as session:
        rows = await session.execute(
            select(ReplyTemplate.name, ReplyTemplate.body, ReplyTemplate.shared)
            .where(ReplyTemplate.tenant_id == tenant.pk)
            .order_by(ReplyTemplate.id)
        )
        return [(name, body, shared) for name, body, shared in rows]


async def message_count(api: Api, c: Conversation) -> int:
    async with api.db.session(None) as session:
        count = await session.scalar(
            select(func.count())
            .select_from(ConversationMessage)
            .where(ConversationMessage.case_id == c.case_pk)
        )
        return int(count or 0)


async def test_a_template_is_its_owners_or_shared_with_the_tenant(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    anna = await tenant.create_user("Anna Berg")
    private = await saved(api, erik["token"], name="Tack för ärendet", body="Tack!")
    assert private == {
        "id": private["id"],
        "name": "Tack för ärendet",
        "body": "Tack!",
        "shared": False,
        "owner": {"id": erik["id"], "name": "Erik Johansson"},
    }
    shared = await saved(api, erik["token"], name="Avslut", body="Vi stänger nu.", shared=True)
    annas = await saved(api, anna["token"], name="Bekräftelse", body="Vi har tagit emot det.")

    # Mine and the tenant's shared ones, by name.
    assert [t["name"] for t in await listed(api, erik["token"])] == ["Avslut", "Tack för ärendet"]
    assert await listed(api, anna["token"]) == [shared, annas]
    assert [t["name"] for t in await listed(api, tenant.admin_token)] == ["Avslut"]

    # node(id:) for whoever may use it, null for the others.
    for token, template in ((erik["token"], private), (anna["token"], shared)):
        data = await api.data(NODE, {"id": template["id"]}, token)
        assert data["node"] == {
            "__typename": "ReplyTemplate",
            "id": template["id"],
            "name": template["name"],
            "body": template["body"],
            "shared": template["shared"],
            "owner": {"name": "Erik Johansson"},
        }
    for token in (anna["token"], tenant.admin_token):
        assert await api.data(NODE, {"id": private["id"]}, token) == {"node": None}

    # Another tenant sees none of them, shared or not.
    other = await api.new_tenant("Annan AB")
    assert await listed(api, other.admin_token) == []
    for template in (private, shared, annas):
        assert await api.data(NODE, {"id": template["id"]}, other.admin_token) == {"node": None}


async def test_saving_replaces_the_template_whole_within_what_one_may_change(api: Api) -> None:
    tenant = await api.new_tenant()
    erik = await tenant.create_user("Erik Johansson")
    anna = await tenant.create_user("Anna Berg")
    private = await saved(api, erik["token"], name="Privat", body="Hej", shared=True)
    # Saved whole: what is left out takes its default (not shared).
    again = await saved(api, erik["token"], id=private["id"], name=" Min ", body="Hej igen\n")
    assert again == {**private, "name": "Min", "body": "Hej igen", "shared": False}
    shared = await saved(api, erik["token"], name="Delad", body="Hej alla", shared=True)
    before = await stored_templates(api, tenant)

    not_found = {
        "field": ["input", "id"],
        "message": "The reply template was not found.",
        "code": "NOT_FOUND",
    }
    not_allowed = {
        "field": ["input", "id"],
        "message": "Only its owner and administrators may change a shared reply template.",
        "code": "NOT_ALLOWED",
    }
    # Another's private one does not exist; another's shared one is the owner's and admins'.
    for token in (anna["token"], tenant.admin_token):
        attempt = await save(api, token, id=private["id"], name="Kapad", body="x")
        assert attempt == {"replyTemplate": None, "userErrors": [not_found]}
        refused = await delete(api, token, private["id"])
        assert refused == {"deletedId": None, "userErrors": [not_found]}
    attempt = await save(api, anna["token"], id=shared["id"], name="Kapad", body="x")
    assert attempt == {"replyTemplate": None, "userErrors": [not_allowed]}
    assert await delete(api, anna["token"], shared["id"]) == {
        "deletedId": None,
        "userErrors": [not_allowed],
    }
    # Another tenant's ids, and ids of something else, are ones that do not exist.
    other = await api.new_tenant("Annan AB")
    case_id = await tenant.create_case()
    for token, template_id in ((other.admin_token, shared["id"]), (erik["token"], case_id)):
        attempt = await save(api, token, id=template_id, name="Kapad", body="x")
        assert attempt["userErrors"] == [not_found]
        assert (await delete(api, token, template_id))["userErrors"] == [not_found]
    assert await stored_templates(api, tenant) == before
    assert await stored_templates(api, other) == []

    # An administrator may change and delete a shared one; it stays its owner's.
    edited = await saved(
        api, tenant.admin_token, id=shared["id"], name="Delad", body="Hej!", shared=True
    )
    assert edited["owner"] == {"id": erik["id"], "name": "Erik Johansson"}
    assert await delete(api, tenant.admin_token, shared["id"]) == {
        "deletedId": shared["id"],
        "userErrors": [],
    }
    assert await delete(api, erik["token"], private["id"]) == {
        "deletedId": private["id"],
        "userErrors": [],
    }
    assert await listed(api, erik["token"]) == []
    assert await api.data(NODE, {"id": private["id"]}, erik["token"]) == {"node": None}
    assert (await delete(api, erik["token"], private["id"]))["userErrors"] == [not_found]


async def test_bad_templates_are_refused_and_write_nothing(api: Api) -> None:
    tenant = await api.new_tenant()
    token = tenant.admin_token
    blank = await save(api, token, name=" ", body="\n ")
    assert blank == {
        "replyTemplate": None,
        "userErrors": [
            {"field": ["input", "name"], "message": "The name is required.", "code": "REQUIRED"},
            {"field": ["input", "body"], "message": "The text is required.", "code": "REQUIRED"},
        ],
    }
    for body, named in [
        ("Hej {{ case.customer }}!", "placeholder {{ case.customer }}"),
        ("{{}} och {{Case.Title}} och {{}}", "placeholders {{}}, {{Case.Title}}"),
        ("{{ user.name }} {{{{contact}}}}", "placeholder {{contact}}"),
    ]:
        attempt = await save(api, token, name="Mall", body=body)
        assert attempt["userErrors"] == [
            {
                "field": ["input", "body"],
                "message": f"Unknown {named}; the known ones are {KNOWN}.",
                "code": "INVALID",
            }
        ], body
    too_long = await save(api, token, name="N" * 201, body="x" * 10_001)
    assert too_long["userErrors"] == [
        {
            "field": ["input", "name"],
            "message": "The name must be at most 200 characters.",
            "code": "INVALID",
        },
        {
            "field": ["input", "body"],
            "message": "The text must be at most 10000 characters.",
            "code": "INVALID",
        },
    ]
    assert await stored_templates(api, tenant) == []

    # A {{ or }} that makes no pair on one line is plain text.
    plain = "Pris: {{ se nedan\n}} och {x} och }} {{"
    template = await saved(api, token, name="N" * 200, body=plain)
    assert template["body"] == plain
    case_id = await tenant.create_case()
    assert await rendered(api, token, template["id"], case_id) == plain


async def test_placeholders_are_filled_in_for_the_case_and_the_viewer(api: Api) -> None:
    c = await conversation(api)
    anna = await c.tenant.create_user("Anna Berg")
    body = (
        "Hej {{contact.name}}!\n"
        "Ärende #{{ case.number }} ({{case.title}}) för {{  customer.name\t}}.\n"
        "/{{user.name}}"
    )
    template = await saved(api, c.staff["token"], name="Svar", body=body, shared=True)
    number = c.case["number"]
    assert await rendered(api, anna["token"], template["id"], c.case["id"]) == (
        f"Hej Karin Svensson!\nÄrende #{number} (Läckande element i trapphuset) för "
        "Brf Solbacken.\n/Anna Berg"
    )
    # What a case lacks is empty; a value is never read for placeholders again.
    internal = await c.tenant.register_case(title="Fråga om {{user.name}}")
    assert await rendered(api, c.staff["token"], template["id"], internal["id"]) == (
        f"Hej !\nÄrende #{internal['number']} (Fråga om {{{{user.name}}}}) för .\n/Erik Johansson"
    )

    # A template or case one may not use is not found: another's private template, another
    # tenant's case or template, an id of something else.
    private = await saved(api, anna["token"], name="Privat", body="Hej")
    other = await api.new_tenant("Annan AB")
    others_template = await saved(api, other.admin_token, name="Annan", body="Hej", shared=True)
    others_case = await other.create_case()
    for template_id, case_id in [
        (private["id"], c.case["id"]),
        (others_template["id"], c.case["id"]),
        (template["id"], others_case),
        (c.case["id"], c.case["id"]),
        (template["id"], template["id"]),
        ("inte-ett-id", c.case["id"]),
    ]:
        codes = await api.error_codes(RENDER, {"t": template_id, "c": case_id}, c.staff["token"])
        assert codes == ["NOT_FOUND"], (template_id, case_id)


async def test_portal_viewers_reach_no_templates(api: Api) -> None:
    c = await conversation(api)
    template = await saved(api, c.staff["token"], name="Delad", body="Hej", shared=True)
    portal = c.contact["token"]
    for query, variables in [
        (TEMPLATES, {}),
        (RENDER, {"t": template["id"], "c": c.case["id"]}),
        (SAVE, {"input": {"name": "Min", "body": "Hej"}}),
        (SAVE, {"input": {"id": template["id"], "name": "Min", "body": "Hej"}}),
        (DELETE, {"input": {"id": template["id"]}}),
    ]:
        assert await api.error_codes(query, variables, portal) == ["FORBIDDEN"], query
    assert await api.data(NODE, {"id": template["id"]}, portal) == {"node": None}
    assert await stored_templates(api, c.tenant) == [("Delad", "Hej", True)]


async def test_a_template_is_sent_filled_in_unless_a_body_is_written(api: Api) -> None:
    c = await conversation(api)
    template = await saved(
        api, c.staff["token"], name="Besök", body="Hej {{contact.name}}, vi kommer på torsdag."
    )

    async def send(**given: Any) -> dict[str, Any]:
        data = await api.data(SEND, {"input": {"caseId": c.case["id"], **given}}, c.staff["token"])
        payload: dict[str, Any] = data["sendCustomerMessage"]
        return payload

    filled = await send(templateId=template["id"])
    assert filled["userErrors"] == []
    assert filled["message"]["body"] == "Hej Karin Svensson, vi kommer på torsdag."
    [mail] = await api.mail.wait_for(c.contact["email"])
    assert "Hej Karin Svensson, vi kommer på torsdag." in mail.text
    # A body written wins; a blank one is none.
    assert (await send(templateId=template["id"], body="Egen text"))["message"]["body"] == (
        "Egen text"
    )
    assert (await send(templateId=template["id"], body=" \n"))["message"]["body"] == (
        "Hej Karin Svensson, vi kommer på torsdag."
    )
    sent = await message_count(api, c)
    assert sent == 3

    required = {
        "field": ["input", "body"],
        "message": "The message is required.",
        "code": "REQUIRED",
    }
    for given in ({}, {"body": None}, {"body": "", "templateId": None}):
        assert await send(**given) == {"message": None, "userErrors": [required]}, given
    # A template one may not use is not found, even beside a body.
    anna = await c.tenant.create_user("Anna Berg")
    annas = await saved(api, anna["token"], name="Annas", body="Hej")
    other = await api.new_tenant("Annan AB")
    others = await saved(api, other.admin_token, name="Annan", body="Hej", shared=True)
    not_found = {
        "field": ["input", "templateId"],
        "message": "The reply template was not found.",
        "code": "NOT_FOUND",
    }
    for template_id in (annas["id"], others["id"], c.case["id"]):
        for given in ({}, {"body": "Egen text"}):
            attempt = await send(templateId=template_id, **given)
            assert attempt == {"message": None, "userErrors": [not_found]}, (template_id, given)
    # Filled in, a template may grow past what a message may hold.
    long = await saved(api, c.staff["token"], name="Lång", body="{{case.title}} " * 600)
    assert await send(templateId=long["id"]) == {
        "message": None,
        "userErrors": [
            {
                "field": ["input", "templateId"],
                "message": "Filled in for this case, the template is longer than 10000 characters.",
                "code": "INVALID",
            }
        ],
    }
    assert await message_count(api, c) == sent


async def test_a_template_that_fills_in_empty_sends_nothing(api: Api) -> None:
    c = await conversation(api)
    await c.tenant.update_settings(fields=[{"field": "TITLE", "required": False}])
    untitled = await c.tenant.register_case(
        title="", customerId=c.customer["id"], contactId=c.contact["id"], visibleInPortal=True
    )
    template = await saved(api, c.staff["token"], name="Rubrik", body="{{ case.title }}")
    data = await api.data(
        SEND, {"input": {"caseId": untitled["id"], "templateId": template["id"]}}, c.staff["token"]
    )
    assert data["sendCustomerMessage"] == {
        "message": None,
        "userErrors": [
            {"field": ["input", "body"], "message": "The message is required.", "code": "REQUIRED"}
        ],
    }
    messages = await api.data(MESSAGES, {"id": untitled["id"]}, c.staff["token"])
    assert messages["case"]["messages"]["edges"] == []


async def test_listing_costs_the_same_whatever_the_number_of_owners(api: Api) -> None:
    tenant = await api.new_tenant()

    async def statements() -> int:
        async with api.counting_statements() as counter:
            await listed(api, tenant.admin_token)
        return counter.count

    for name in ("Anna Berg", "Bo Ek"):
        user = await tenant.create_user(name)
        await saved(api, user["token"], name=f"Mall {name}", body="Hej", shared=True)
    few = await statements()
    for name in ("Cecilia Dahl", "David Ek", "Eva Fors", "Filip Gran"):
        user = await tenant.create_user(name)
        await saved(api, user["token"], name=f"Mall {name}", body="Hej", shared=True)
    assert len(await listed(api, tenant.admin_token)) == 6
    assert await statements() == few
