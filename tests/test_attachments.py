"""Attachments: uploaded as multipart GraphQL requests, listed on cases, comments and messages,
downloaded by signed links, mailed to the customer and taken from the customer's e-mail."""

from __future__ import annotations

import json
import os
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import httpx

from tests.conftest import INBOUND_SECRET
from tests.support.client import Api
from tests.test_customer_conversation import Conversation, conversation

ATTACHMENT = "id filename contentType size createdAt uploadedByName url"
ADD = f"""mutation($input: AddAttachmentsInput!) {{ addAttachments(input: $input) {{
  attachments {{ {ATTACHMENT} }} userErrors {{ field message code }} }} }}"""
ADD_COMMENT = f"""mutation($input: AddCommentInput!) {{ addComment(input: $input) {{
  comment {{ id attachments {{ {ATTACHMENT} }} }} userErrors {{ field message code }} }} }}"""
SEND = f"""mutation($input: SendCustomerMessageInput!) {{ sendCustomerMessage(input: $input) {{
  message {{ id attachments {{ {ATTACHMENT} }} }} userErrors {{ field message code }} }} }}"""
PORTAL_SEND = f"""mutation($input: PortalSendMessageInput!) {{ portalSendMessage(input: $input) {{
  message {{ id attachments {{ {ATTACHMENT} }} }} userErrors {{ field message code }} }} }}"""
CASE_FILES = f"""query($id: ID!, $after: String) {{ case(id: $id) {{
  attachments(first: 2, after: $after) {{ totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ {ATTACHMENT} }} }} }}
  comments {{ edges {{ node {{ id attachments {{ filename }} }} }} }}
  messages {{ edges {{ node {{ id attachments {{ filename }} }} }} }} }} }}"""
PORTAL_FILES = """{ portalCases { edges { node { messages { edges { node {
  body attachments { id filename url } } } } } } } }"""
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on Attachment {{ {ATTACHMENT} }} }} }}"
DELETE = """mutation($id: ID!) { deleteCase(input: {id: $id}) { deletedId userErrors { code } } }"""

File = tuple[str, bytes, str]


async def upload(
    api: Api,
    query: str,
    variables: dict[str, Any],
    files: dict[str, File],
    token: str | None,
    *,
    preflight: str | None = "1",
) -> httpx.Response:
    """A GraphQL multipart request: `files` maps a variable path to (name, bytes, type)."""
    paths = list(files)
    form = {
        "operations": json.dumps({"query": query, "variables": variables}),
        "map": json.dumps({str(i): [f"variables.{p}"] for i, p in enumerate(paths)}),
    }
    parts = {str(i): files[p] for i, p in enumerate(paths)}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if preflight is not None:
        headers["Apollo-Require-Preflight"] = preflight
    return await api.http.post("/graphql", data=form, files=parts, headers=headers)


async def upload_data(api: Api, *args: Any, **kwargs: Any) -> Any:
    response = await upload(api, *args, **kwargs)
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    [payload] = body["data"].values()
    return payload


async def add(api: Api, case_id: str, files: list[File], token: str, **more: Any) -> Any:
    given = {"caseId": case_id, "files": [None] * len(files), **more}
    return await upload_data(
        api, ADD, {"input": given}, {f"input.files.{i}": f for i, f in enumerate(files)}, token
    )


def stored_files(api: Api) -> set[str]:
    directory = Path(unquote(urlsplit(api.settings.storage_url).path))
    return {p.name for p in directory.iterdir()} if directory.exists() else set()


async def download(api: Api, url: str) -> httpx.Response:
    """GET a signed link against this server (links name the configured public URL)."""
    parts = urlsplit(url)
    return await api.http.get(f"{parts.path}?{parts.query}")


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()


async def test_files_are_attached_to_a_case_and_downloaded_by_signed_link(api: Api) -> None:
    c = await conversation(api)
    drawing = os.urandom(200_000)
    before = stored_files(api)
    added = await add(
        api,
        c.case["id"],
        [("Ritning källare.pdf", drawing, "application/pdf"), ("notes.txt", b"hej", "text/plain")],
        c.staff["token"],
    )
    assert added["userErrors"] == []
    first, second = added["attachments"]
    assert (first["filename"], first["contentType"], first["size"]) == (
        "Ritning källare.pdf",
        "application/pdf",
        200_000,
    )
    assert first["uploadedByName"] == "Erik Johansson"
    assert (second["filename"], second["size"]) == ("notes.txt", 3)
    # One file each, bytes unchanged.
    new_files = stored_files(api) - before
    assert len(new_files) == 2
    directory = Path(unquote(urlsplit(api.settings.storage_url).path))
    assert drawing in {(directory / name).read_bytes() for name in new_files}

    url = first["url"]
    assert url.startswith(f"{api.settings.public_url}/attachments/")
    query = parse_qs(urlsplit(url).query)
    expires = int(query["expires"][0])
    ttl = api.settings.attachment_url_ttl_seconds
    assert time.time() + ttl - 60 < expires <= time.time() + ttl + 1
    got = await download(api, url)
    assert got.status_code == 200
    assert got.content == drawing
    assert got.headers["content-type"].startswith("application/pdf")
    assert got.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''Ritning%20k%C3%A4llare.pdf"
    )
    assert got.headers["x-content-type-options"] == "nosniff"

    # Oldest first, paged like every connection; by id too.
    data = await api.data(CASE_FILES, {"id": c.case["id"]}, c.staff["token"])
    page = data["case"]["attachments"]
    assert page["totalCount"] == 2
    assert [e["node"]["id"] for e in page["edges"]] == [first["id"], second["id"]]
    node = (await api.data(NODE, {"id": first["id"]}, c.staff["token"]))["node"]
    assert node["filename"] == "Ritning källare.pdf"


async def test_comments_and_customer_messages_carry_their_files(api: Api) -> None:
    c = await conversation(api)
    token = c.staff["token"]
    commented = await upload_data(
        api,
        ADD_COMMENT,
        {"input": {"caseId": c.case["id"], "body": "Foto från besöket", "attachments": [None]}},
        {"input.attachments.0": ("foto.jpg", b"\xff\xd8jpeg", "image/jpeg")},
        token,
    )
    assert commented["userErrors"] == []
    comment = commented["comment"]
    assert [a["filename"] for a in comment["attachments"]] == ["foto.jpg"]
    # More files on the comment later; another case's comment is not found.
    later = await add(
        api, c.case["id"], [("plan.png", b"png", "image/png")], token, commentId=comment["id"]
    )
    assert later["userErrors"] == []
    other_case = await c.tenant.register_case(token, title="Annat ärende")
    before = stored_files(api)
    wrong = await add(
        api, other_case["id"], [("x.txt", b"x", "text/plain")], token, commentId=comment["id"]
    )
    assert [(e["field"], e["code"]) for e in wrong["userErrors"]] == [
        (["input", "commentId"], "NOT_FOUND")
    ]
    assert stored_files(api) == before

    quote = b"%PDF-1.7 offert"
    sent = await upload_data(
        api,
        SEND,
        {"input": {"caseId": c.case["id"], "body": "Här är offerten.", "attachments": [None]}},
        {"input.attachments.0": ("Offert 2026.pdf", quote, "application/pdf")},
        token,
    )
    assert sent["userErrors"] == []
    assert [a["filename"] for a in sent["message"]["attachments"]] == ["Offert 2026.pdf"]
    [mail] = await api.mail.wait_for(c.contact["email"])
    [part] = list(mail.message.iter_attachments())
    assert isinstance(part, EmailMessage)
    assert part.get_filename() == "Offert 2026.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_payload(decode=True) == quote
    assert "Här är offerten." in mail.text

    portal_id = (await c.portal_case())["id"]
    answered = await upload_data(
        api,
        PORTAL_SEND,
        {"input": {"caseId": portal_id, "body": "Signerad.", "attachments": [None]}},
        {"input.attachments.0": ("signerad.pdf", b"%PDF signed", "application/pdf")},
        c.contact["token"],
    )
    assert answered["userErrors"] == []
    [signed] = answered["message"]["attachments"]
    assert signed["uploadedByName"] == "Karin Svensson"

    data = await api.data(CASE_FILES, {"id": c.case["id"]}, token)
    case = data["case"]
    assert case["attachments"]["totalCount"] == 4
    assert [e["node"]["filename"] for e in case["attachments"]["edges"]] == [
        "foto.jpg",
        "plan.png",
    ]
    after = case["attachments"]["pageInfo"]["endCursor"]
    rest = await api.data(CASE_FILES, {"id": c.case["id"], "after": after}, token)
    assert [e["node"]["filename"] for e in rest["case"]["attachments"]["edges"]] == [
        "Offert 2026.pdf",
        "signerad.pdf",
    ]
    [on_comment] = [e["node"] for e in case["comments"]["edges"]]
    assert [a["filename"] for a in on_comment["attachments"]] == ["foto.jpg", "plan.png"]
    assert [
        [a["filename"] for a in e["node"]["attachments"]] for e in case["messages"]["edges"]
    ] == [
        ["Offert 2026.pdf"],
        ["signerad.pdf"],
    ]

    # The portal sees the messages' files, and can fetch them.
    portal = await api.data(PORTAL_FILES, token=c.contact["token"])
    [portal_case] = portal["portalCases"]["edges"]
    shown = [m["node"] for m in portal_case["node"]["messages"]["edges"]]
    assert [[a["filename"] for a in m["attachments"]] for m in shown] == [
        ["Offert 2026.pdf"],
        ["signerad.pdf"],
    ]
    assert (await download(api, shown[0]["attachments"][0]["url"])).content == quote


async def test_the_portal_and_other_tenants_see_no_internal_or_foreign_file(api: Api) -> None:
    c = await conversation(api)
    token = c.staff["token"]
    [internal] = (await add(api, c.case["id"], [("intern.txt", b"x", "text/plain")], token))[
        "attachments"
    ]
    sent = await upload_data(
        api,
        SEND,
        {"input": {"caseId": c.case["id"], "body": "Bilaga", "attachments": [None]}},
        {"input.attachments.0": ("kund.txt", b"y", "text/plain")},
        token,
    )
    [for_customer] = sent["message"]["attachments"]
    portal = c.contact["token"]
    assert (await api.data(NODE, {"id": internal["id"]}, portal))["node"] is None
    assert (await api.data(NODE, {"id": for_customer["id"]}, portal))["node"]["filename"] == (
        "kund.txt"
    )
    # The portal cannot attach to staff cases at all.
    refused = await upload(
        api, ADD, {"input": {"caseId": c.case["id"], "files": [None]}},
        {"input.files.0": ("x.txt", b"x", "text/plain")}, portal,
    )  # fmt: skip
    assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["FORBIDDEN"]

    # Another tenant: its staff see nothing, and writing to the case finds no case.
    other = await conversation(api)
    assert (await api.data(NODE, {"id": internal["id"]}, other.staff["token"]))["node"] is None
    assert (await api.data(NODE, {"id": for_customer["id"]}, other.contact["token"]))[
        "node"
    ] is None
    before = stored_files(api)
    foreign = await add(api, c.case["id"], [("x.txt", b"x", "text/plain")], other.staff["token"])
    assert [(e["field"], e["code"]) for e in foreign["userErrors"]] == [
        (["input", "caseId"], "NOT_FOUND")
    ]
    assert foreign["attachments"] == []
    # The file written before the transaction was removed when it did not commit.
    assert stored_files(api) == before


async def test_tampered_expired_and_deleted_links_are_refused(api: Api) -> None:
    c = await conversation(api)
    [file] = (await add(api, c.case["id"], [("a.txt", b"abc", "text/plain")], c.staff["token"]))[
        "attachments"
    ]
    url = file["url"]
    signature = parse_qs(urlsplit(url).query)["signature"][0]
    expires = parse_qs(urlsplit(url).query)["expires"][0]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert (await download(api, with_query(url, signature=flipped))).status_code == 403
    assert (
        await download(api, with_query(url, expires=str(int(expires) + 3600)))
    ).status_code == 403
    assert (await download(api, with_query(url, signature=""))).status_code == 403
    key = urlsplit(url).path.rsplit("/", 1)[1]
    other_key = urlsplit(url)._replace(path=f"/attachments/{'0' * len(key)}").geturl()
    assert (await download(api, other_key)).status_code == 403
    # A link the server itself signed, but whose time is up.
    links = api.services.attachment_links
    expired = await links.url(key, now=time.time() - api.settings.attachment_url_ttl_seconds - 5)
    assert (await download(api, expired)).status_code == 403
    assert (await download(api, url)).status_code == 200

    # Deleting the case deletes its files: the link then finds nothing.
    assert key in stored_files(api)
    deleted = await api.data(DELETE, {"id": c.case["id"]}, c.tenant.admin_token)
    assert deleted["deleteCase"]["userErrors"] == []
    assert key not in stored_files(api)
    assert (await download(api, url)).status_code == 404


async def test_a_multipart_request_without_the_preflight_header_is_refused(api: Api) -> None:
    c = await conversation(api)
    before = stored_files(api)
    for preflight in (None, ""):
        refused = await upload(
            api,
            ADD,
            {"input": {"caseId": c.case["id"], "files": [None]}},
            {"input.files.0": ("a.txt", b"a", "text/plain")},
            c.staff["token"],
            preflight=preflight,
        )
        assert refused.status_code == 400
        assert "Apollo-Require-Preflight" in refused.json()["errors"][0]["message"]
    assert stored_files(api) == before
    data = await api.data(CASE_FILES, {"id": c.case["id"]}, c.staff["token"])
    assert data["case"]["attachments"]["totalCount"] == 0


async def test_file_names_lose_their_paths_and_control_characters(api: Api) -> None:
    c = await conversation(api)
    names = ["../../etc/passwd", "C:\\Users\\erik\\..\\offert.pdf", "..", "citat; filename=x.exe"]
    added = await add(api, c.case["id"], [(n, b"x", "text/plain") for n in names], c.staff["token"])
    assert added["userErrors"] == []
    got = [a["filename"] for a in added["attachments"]]
    assert got == ["passwd", "offert.pdf", "attachment", "citat; filename=x.exe"]
    last = await download(api, added["attachments"][-1]["url"])
    assert last.headers["content-disposition"] == (
        "attachment; filename*=UTF-8''citat%3B%20filename%3Dx.exe"
    )

    # Control characters as a client may put them into the part's header, raw.
    operations = json.dumps(
        {"query": ADD, "variables": {"input": {"caseId": c.case["id"], "files": [None]}}}
    )
    boundary = "gransen"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{operations}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        '{"0": ["variables.input.files.0"]}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; '
        'filename="rap\x07port\x1b[31m\x7f.txt"\r\nContent-Type: text/plain\r\n\r\nx\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    response = await api.http.post(
        "/graphql",
        content=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Authorization": f"Bearer {c.staff['token']}",
            "Apollo-Require-Preflight": "1",
        },
    )
    assert response.status_code == 200, response.text
    [file] = response.json()["data"]["addAttachments"]["attachments"]
    assert file["filename"] == "rapport[31m.txt"


async def test_a_value_that_is_not_a_file_is_refused(api: Api) -> None:
    c = await conversation(api)
    body = await api.post(
        ADD, {"input": {"caseId": c.case["id"], "files": ["not a file"]}}, c.staff["token"]
    )
    [payload] = body["data"].values()
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "files", "0"], "INVALID")
    ]


async def test_too_large_and_too_many_files_are_refused_and_write_nothing(
    api_with: Any,
) -> None:
    async with api_with(
        max_attachment_bytes=1000, max_files=2, max_upload_request_bytes=20_000
    ) as small:
        c = await conversation(small)
        token = c.staff["token"]
        before = stored_files(small)
        big = await add(
            small,
            c.case["id"],
            [("ok.txt", b"x" * 1000, "text/plain"), ("stor.bin", b"x" * 1001, "application/x")],
            token,
        )
        assert [(e["field"], e["code"]) for e in big["userErrors"]] == [
            (["input", "files", "1"], "INVALID")
        ]
        many = await add(small, c.case["id"], [("a", b"a", "text/plain")] * 3, token)
        assert [(e["field"], e["code"]) for e in many["userErrors"]] == [
            (["input", "files"], "INVALID")
        ]
        comment = await upload_data(
            small,
            ADD_COMMENT,
            {"input": {"caseId": c.case["id"], "body": "Med bilaga", "attachments": [None]}},
            {"input.attachments.0": ("stor.bin", b"x" * 1001, "application/x")},
            token,
        )
        assert comment["comment"] is None
        assert [(e["field"], e["code"]) for e in comment["userErrors"]] == [
            (["input", "attachments", "0"], "INVALID")
        ]
        too_big = await upload(
            small,
            ADD,
            {"input": {"caseId": c.case["id"], "files": [None]}},
            {"input.files.0": ("huge.bin", os.urandom(30_000), "application/x")},
            token,
        )
        assert too_big.status_code == 413
        assert stored_files(small) == before
        data = await small.data(CASE_FILES, {"id": c.case["id"]}, token)
        assert data["case"]["attachments"]["totalCount"] == 0
        assert data["case"]["comments"]["edges"] == []


async def test_files_of_an_email_reply_become_the_messages(api: Api) -> None:
    c = await conversation(api)
    sent = await api.data(
        """mutation($input: SendCustomerMessageInput!) { sendCustomerMessage(input: $input) {
          message { id } userErrors { code } } }""",
        {"input": {"caseId": c.case["id"], "body": "Skicka gärna en bild."}},
        c.staff["token"],
    )
    assert sent["sendCustomerMessage"]["userErrors"] == []
    [mail] = await api.mail.wait_for(c.contact["email"])
    reply = EmailMessage()
    reply["From"] = c.contact["email"]
    reply["To"] = mail.message["Reply-To"]
    reply["Subject"] = "Re: bild"
    reply.set_content("Här är bilden.")
    photo = os.urandom(5000)
    reply.add_attachment(photo, maintype="image", subtype="jpeg", filename="../läcka.jpg")
    raw = bytes(reply)
    assert isinstance(message_from_bytes(raw, policy=default), EmailMessage)
    response = await api.http.post(
        "/inbound/email",
        content=raw,
        headers={"Content-Type": "message/rfc822", "X-Inbound-Secret": INBOUND_SECRET},
    )
    assert response.status_code == 200, response.text
    portal = await api.data(PORTAL_FILES, token=c.contact["token"])
    [portal_case] = portal["portalCases"]["edges"]
    last = portal_case["node"]["messages"]["edges"][-1]["node"]
    assert last["body"] == "Här är bilden."
    [file] = last["attachments"]
    assert file["filename"] == "läcka.jpg"
    got = await download(api, file["url"])
    assert got.content == photo
    assert got.headers["content-type"] == "image/jpeg"


async def test_a_merge_moves_the_files_to_the_target(api: Api) -> None:
    c: Conversation = await conversation(api)
    token = c.staff["token"]
    target = await c.tenant.register_case(
        token, title="Huvudärendet", customerId=c.customer["id"], contactId=c.contact["id"]
    )
    commented = await upload_data(
        api,
        ADD_COMMENT,
        {"input": {"caseId": c.case["id"], "body": "Bild", "attachments": [None]}},
        {"input.attachments.0": ("bild.jpg", b"jpg", "image/jpeg")},
        token,
    )
    [on_comment] = commented["comment"]["attachments"]
    [on_case] = (await add(api, c.case["id"], [("fil.txt", b"txt", "text/plain")], token))[
        "attachments"
    ]
    merged = await api.data(
        """mutation($input: MergeCasesInput!) { mergeCases(input: $input) { userErrors { code } } }""",
        {"input": {"sourceId": c.case["id"], "targetId": target["id"]}},
        token,
    )
    assert merged["mergeCases"]["userErrors"] == []
    data = await api.data(CASE_FILES, {"id": target["id"]}, token)
    assert [e["node"]["id"] for e in data["case"]["attachments"]["edges"]] == [
        on_comment["id"],
        on_case["id"],
    ]
    [moved_comment] = [e["node"] for e in data["case"]["comments"]["edges"]]
    assert [a["filename"] for a in moved_comment["attachments"]] == ["bild.jpg"]
    source = await api.data(CASE_FILES, {"id": c.case["id"]}, token)
    assert source["case"]["attachments"]["totalCount"] == 0
    # Their links keep working.
    assert (await download(api, on_comment["url"])).content == b"jpg"
    # A merged case takes no new files.
    refused = await add(api, c.case["id"], [("ny.txt", b"n", "text/plain")], token)
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_ALLOWED"]


async def test_files_of_a_page_of_comments_load_in_one_statement(api: Api) -> None:
    c = await conversation(api)
    token = c.staff["token"]
    for i in range(4):
        await upload_data(
            api,
            ADD_COMMENT,
            {"input": {"caseId": c.case["id"], "body": f"Kommentar {i}", "attachments": [None]}},
            {"input.attachments.0": (f"{i}.txt", b"x", "text/plain")},
            token,
        )
    query = """query($id: ID!) { case(id: $id) { comments { edges { node { attachments { filename } } } } } }"""
    async with api.counting_statements() as counter:
        data = await api.data(query, {"id": c.case["id"]}, token)
    comments = data["case"]["comments"]["edges"]
    assert [[a["filename"] for a in e["node"]["attachments"]] for e in comments] == [
        ["0.txt"],
        ["1.txt"],
        ["2.txt"],
        ["3.txt"],
    ]
    attachment_reads = [s for s in counter.statements if "FROM attachments" in s]
    assert len(attachment_reads) == 1, attachment_reads
