"""`workcloud demo`: a tenant a person can click through, with retired things beside active
ones, the helpdesk in use (tags, linked and merged cases, files, saved views, reply
templates) and its service side (SLA policies on a business calendar, a paused webhook)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import Case, CaseObject, Customer, Project, User
from tests.support.client import Api
from tests.test_attachments import download
from workcloud.demo import create_demo
from workcloud.demo_files import (
    ACTION_PLAN,
    INSPECTION_REPORT,
    INSURANCE_CLAIM,
    MOISTURE_READINGS,
    DemoFile,
)
from workcloud.demo_helpdesk import (
    CHILDREN,
    CUSTOMER_MESSAGE,
    DUPLICATE_TITLE,
    MEASURED,
    ORIGINAL_TITLE,
    STAFF_COMMENT,
    TAG_ORDER,
)
from workcloud.demo_service import INSPECTION_TITLE, WEBHOOK_URL, staff_day_out

TAGS = "{ tags(first: 20) { name count } }"
COUNT = "query($filter: CaseFilter) { cases(filter: $filter, first: 0) { totalCount } }"
LINKS = """query($after: String) { cases(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { number links { kind case { number } } } } } }"""
FIND = """query($search: String!) { cases(search: $search, first: 10) { edges { node {
  id number title tags status { name closed } mergedInto { number }
  links { kind case { number title } }
  comments { totalCount edges { node { body author { name } } } }
  messages { totalCount edges { node { body direction authorName } } } } } } }"""
VIEWS = "{ caseViews { id name shared owner { name } } }"
IN_VIEW = """query($view: ID, $scope: CaseScope, $filter: CaseFilter) {
  cases(view: $view, scope: $scope, filter: $filter, first: 100) { totalCount
    edges { node { number tags deadline status { closed } customer { name } } } } }"""
TEMPLATES = "{ replyTemplates { id name shared owner { name } } }"
RENDER = """query($template: ID!, $case: ID!) {
  renderReplyTemplate(templateId: $template, caseId: $case) }"""
SLA_SETUP = """{ businessCalendars { id name timezone useSwedishPublicHolidays holidays
    hours { weekday start end } }
  slaPolicies { name priorities { name } types { name } firstResponseMinutes resolutionMinutes
    calendar { name } active } }"""
DUE_AT = """query($id: ID!, $start: DateTime!, $minutes: Int!) { node(id: $id) {
  ... on BusinessCalendar { dueAt(start: $start, minutes: $minutes) } } }"""
CASE_SLA = """query($id: ID!) { case(id: $id) { createdAt priority { name } type { name }
  sla { policy { name } firstResponseDueAt resolutionDueAt firstRespondedAt breaches } } }"""
FILE = "filename contentType size uploadedByName url"
CASE_FILES = f"""query($id: ID!) {{ case(id: $id) {{
  attachments(first: 10) {{ totalCount edges {{ node {{ {FILE} }} }} }}
  comments {{ edges {{ node {{ body attachments {{ {FILE} }} }} }} }}
  messages {{ edges {{ node {{ body attachments {{ {FILE} }} }} }} }} }} }}"""
NEWEST = f"""query($search: String!) {{
  cases(search: $search, orderBy: [{{field: CREATED_AT, direction: DESC}}], first: 1) {{
    edges {{ node {{ title attachments(first: 10) {{ edges {{ node {{ {FILE} }} }} }} }} }} }} }}"""
PORTAL_FILES = """{ portalCases(first: 50) { edges { node { title messages { edges { node {
  body attachments { filename url } } } } } } } }"""
WEBHOOKS = """{ webhooks { url events active deliveries(first: 5) { totalCount } } }"""


@dataclass(frozen=True)
class Demo:
    tenant_id: int
    admin: str
    member: str  # Erik Johansson, who has a private view and a private reply template
    other_member: str  # Sara Nilsson
    portal: str  # Karin Svensson at Brf Solbacken


@pytest.fixture(scope="module")
async def demo(api: Api) -> Demo:
    """The demo, made once per backend in the server's database, as `workcloud demo` does."""
    logins = await create_demo(api.settings)
    (_, admin, password), (_, erik, _), (_, sara, _) = logins[:3]
    [karin] = [email for kind, email, _ in logins if kind == "portal"]
    async with api.db.session(None) as session:
        tenant_id = await session.scalar(select(User.tenant_id).where(User.email == admin))
    assert tenant_id is not None
    return Demo(
        tenant_id,
        await api.login(admin, password),
        await api.login(erik, password),
        await api.login(sara, password),
        await _portal_login(api, karin, password),
    )


async def _portal_login(api: Api, email: str, password: str) -> str:
    data = await api.data(
        """mutation($e: String!, $p: String!) { portalLogin(email: $e, password: $p) {
             token userErrors { code } } }""",
        {"e": email, "p": password},
    )
    token: str = data["portalLogin"]["token"]
    return token


async def _case(api: Api, token: str, title: str) -> dict[str, Any]:
    found = (await api.data(FIND, {"search": title}, token))["cases"]["edges"]
    matching = [edge["node"] for edge in found if edge["node"]["title"] == title]
    assert len(matching) == 1, found
    case: dict[str, Any] = matching[0]
    return case


async def _count(api: Api, token: str, **criteria: Any) -> int:
    total: int = (await api.data(COUNT, {"filter": criteria}, token))["cases"]["totalCount"]
    return total


async def test_the_demo_shows_archived_and_active_things(api: Api, demo: Demo) -> None:
    async with api.db.session(demo.tenant_id) as session:
        for model in (Customer, CaseObject, Project):
            archived = await session.scalar(
                select(func.count()).where(model.archived_at.is_not(None))
            )
            active = await session.scalar(select(func.count()).where(model.archived_at.is_(None)))
            assert archived == 1, model
            assert active and active > 1, model
        inactive = await session.scalar(select(func.count()).where(User.active.is_(False)))
        assert inactive == 1
        # The archived customer keeps its cases.
        archived_customer = await session.scalar(
            select(Customer.id).where(Customer.archived_at.is_not(None))
        )
        kept = await session.scalar(
            select(func.count()).where(Case.customer_id == archived_customer)
        )
        assert kept is not None and kept > 0


async def test_many_cases_carry_a_handful_of_tags(api: Api, demo: Demo) -> None:
    tags = (await api.data(TAGS, token=demo.admin))["tags"]
    assert sorted(t["name"] for t in tags) == sorted(TAG_ORDER)
    counts = [t["count"] for t in tags]
    assert counts == sorted(counts, reverse=True)
    total = await _count(api, demo.admin)
    for tag in tags:
        # A realistic spread: every tag in use, none on most cases.
        assert 5 <= tag["count"] < total / 4, tag
        assert await _count(api, demo.admin, tags=[tag["name"]]) == tag["count"]
    assert sum(counts) > total / 3


async def test_cases_are_linked_in_every_kind_and_seen_from_both_sides(
    api: Api, demo: Demo
) -> None:
    seen: dict[tuple[int, int], str] = {}
    after = None
    while True:
        page = (await api.data(LINKS, {"after": after}, demo.admin))["cases"]
        for edge in page["edges"]:
            for link in edge["node"]["links"]:
                seen[(edge["node"]["number"], link["case"]["number"])] = link["kind"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    inverse = {
        "RELATES_TO": "RELATES_TO",
        "DUPLICATE_OF": "DUPLICATED_BY",
        "DUPLICATED_BY": "DUPLICATE_OF",
        "PARENT_OF": "CHILD_OF",
        "CHILD_OF": "PARENT_OF",
    }
    for (number, other), kind in seen.items():
        assert seen.get((other, number)) == inverse[kind], (number, other, kind)
    # Every link is seen from both its cases: a related pair counts twice.
    kinds = Counter(seen.values())
    assert kinds["RELATES_TO"] >= 2 * 2
    assert kinds["DUPLICATE_OF"] >= 2
    assert kinds["PARENT_OF"] >= 3

    parent = await _case(api, demo.admin, ORIGINAL_TITLE)
    children = [link for link in parent["links"] if link["kind"] == "PARENT_OF"]
    assert len(children) == 3
    child = await _case(api, demo.admin, children[0]["case"]["title"])
    assert {"kind": "CHILD_OF", "case": {"number": parent["number"], "title": ORIGINAL_TITLE}} in (
        child["links"]
    )


async def test_a_duplicate_was_merged_with_its_comment_and_customer_message(
    api: Api, demo: Demo
) -> None:
    target = await _case(api, demo.admin, ORIGINAL_TITLE)
    source = await _case(api, demo.admin, DUPLICATE_TITLE)
    assert source["mergedInto"] == {"number": target["number"]}
    assert source["status"]["closed"] is True
    assert source["comments"]["totalCount"] == 0
    assert source["messages"]["totalCount"] == 0
    assert {
        "kind": "DUPLICATE_OF",
        "case": {"number": target["number"], "title": ORIGINAL_TITLE},
    } in (source["links"])

    assert target["mergedInto"] is None
    assert target["status"]["closed"] is False
    assert "Vattenskada" in target["tags"] and "Akut" in target["tags"]
    assert [edge["node"] for edge in target["comments"]["edges"]] == [
        {
            "body": STAFF_COMMENT.format(number=target["number"]),
            "author": {"name": "Erik Johansson"},
        }
    ]
    assert [edge["node"] for edge in target["messages"]["edges"]] == [
        {"body": CUSTOMER_MESSAGE, "direction": "FROM_CUSTOMER", "authorName": "Karin Svensson"}
    ]
    assert {
        "kind": "DUPLICATED_BY",
        "case": {"number": source["number"], "title": DUPLICATE_TITLE},
    } in (target["links"])


async def test_shared_views_for_everyone_and_a_private_one_for_its_owner(
    api: Api, demo: Demo
) -> None:
    def names(views: list[dict[str, Any]]) -> list[tuple[str, bool, str]]:
        return [(v["name"], v["shared"], v["owner"]["name"]) for v in views]

    shared = [("Akuta ärenden", True, "Anna Lindqvist"), ("Mina öppna", True, "Anna Lindqvist")]
    private = ("Vattenskador i Göteborg", False, "Erik Johansson")
    assert names((await api.data(VIEWS, token=demo.admin))["caseViews"]) == shared
    assert names((await api.data(VIEWS, token=demo.other_member))["caseViews"]) == shared
    views = (await api.data(VIEWS, token=demo.member))["caseViews"]
    assert names(views) == [*shared, private]
    by_name = {v["name"]: v["id"] for v in views}

    urgent = (await api.data(IN_VIEW, {"view": by_name["Akuta ärenden"]}, demo.admin))["cases"]
    assert urgent["totalCount"] == await _count(api, demo.admin, open=True, tags=["Akut"]) > 0
    assert all("Akut" in e["node"]["tags"] for e in urgent["edges"])
    assert not any(e["node"]["status"]["closed"] for e in urgent["edges"])
    deadlines = [e["node"]["deadline"] for e in urgent["edges"] if e["node"]["deadline"]]
    assert deadlines == sorted(deadlines)
    story = await _case(api, demo.admin, ORIGINAL_TITLE)
    assert story["number"] in [e["node"]["number"] for e in urgent["edges"]]

    # One shared view, each member's own cases.
    for token in (demo.member, demo.other_member):
        mine = (await api.data(IN_VIEW, {"view": by_name["Mina öppna"]}, token))["cases"]
        expected = await api.data(IN_VIEW, {"scope": "MINE", "filter": {"open": True}}, token)
        assert mine["totalCount"] == expected["cases"]["totalCount"] > 0
    everyone = await _count(api, demo.admin, open=True)
    assert mine["totalCount"] < everyone

    water = (await api.data(IN_VIEW, {"view": by_name[private[0]]}, demo.member))["cases"]
    assert water["totalCount"] > 0
    for edge in water["edges"]:
        assert "Vattenskada" in edge["node"]["tags"]
        assert edge["node"]["customer"]["name"] in ("Brf Solbacken", "Brf Linnéstaden")
    hidden = await api.error_codes(IN_VIEW, {"view": by_name[private[0]]}, demo.other_member)
    assert hidden == ["NOT_FOUND"]


async def test_reply_templates_fill_in_a_demo_case(api: Api, demo: Demo) -> None:
    def names(templates: list[dict[str, Any]]) -> set[tuple[str, bool, str]]:
        return {(t["name"], t["shared"], t["owner"]["name"]) for t in templates}

    shared = {
        ("Bekräftelse felanmälan", True, "Anna Lindqvist"),
        ("Åtgärd utförd", True, "Anna Lindqvist"),
    }
    admin_templates = (await api.data(TEMPLATES, token=demo.admin))["replyTemplates"]
    assert names(admin_templates) == shared
    member_templates = (await api.data(TEMPLATES, token=demo.member))["replyTemplates"]
    assert names(member_templates) == shared | {
        ("Tillträde till lägenhet", False, "Erik Johansson")
    }

    case = await _case(api, demo.admin, ORIGINAL_TITLE)
    template = {t["name"]: t["id"] for t in member_templates}
    confirmation = await api.data(
        RENDER, {"template": template["Bekräftelse felanmälan"], "case": case["id"]}, demo.admin
    )
    assert confirmation["renderReplyTemplate"] == (
        "Hej Karin Svensson!\n\n"
        f"Tack för er felanmälan. Vi har registrerat ärende {case['number']}, "
        f"{ORIGINAL_TITLE}, och återkommer med en tid för besök.\n\n"
        "Vänliga hälsningar\nAnna Lindqvist\nNordisk Fastighetsservice AB"
    )
    done = await api.data(
        RENDER, {"template": template["Åtgärd utförd"], "case": case["id"]}, demo.member
    )
    assert (
        f"ärende {case['number']} hos Brf Solbacken är nu utfört" in (done["renderReplyTemplate"])
    )
    assert done["renderReplyTemplate"].endswith("Vänliga hälsningar\nErik Johansson")
    access = await api.data(
        RENDER, {"template": template["Tillträde till lägenhet"], "case": case["id"]}, demo.member
    )
    assert access["renderReplyTemplate"].startswith(
        f'Hej Karin Svensson! För att åtgärda "{ORIGINAL_TITLE}" behöver vi'
    )
    assert await api.error_codes(
        RENDER, {"template": template["Tillträde till lägenhet"], "case": case["id"]}, demo.admin
    ) == ["NOT_FOUND"]


async def test_sla_policies_count_business_time_on_the_office_calendar(
    api: Api, demo: Demo
) -> None:
    setup = await api.data(SLA_SETUP, token=demo.admin)
    [calendar] = setup["businessCalendars"]
    assert (calendar["name"], calendar["timezone"]) == ("Kontorstid Göteborg", "Europe/Stockholm")
    assert calendar["useSwedishPublicHolidays"] is True
    weekdays = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
    assert calendar["hours"] == [
        {"weekday": day, "start": "07:00", "end": "16:00"} for day in weekdays
    ]
    this_year = datetime.now().year
    day_out = staff_day_out(this_year + 1)
    assert day_out.isoformat() in calendar["holidays"]
    assert day_out.weekday() == 4  # a Friday
    policies = {p["name"]: p for p in setup["slaPolicies"]}
    assert policies["Akut jour"]["priorities"] == [{"name": "Akut"}]
    assert policies["Akut jour"]["calendar"] is None  # around the clock
    assert policies["Felanmälan"]["types"] == [{"name": "Felanmälan"}]
    assert policies["Felanmälan"]["calendar"] == {"name": "Kontorstid Göteborg"}
    assert policies["Standard"]["priorities"] == policies["Standard"]["types"] == []
    assert all(p["active"] for p in policies.values())

    async def due_at(start: str, minutes: int) -> datetime:
        variables = {"id": calendar["id"], "start": start, "minutes": minutes}
        data = await api.data(DUE_AT, variables, demo.admin)
        return datetime.fromisoformat(data["node"]["dueAt"])

    # An hour left on Thursday 23 December; julafton, juldagen and the weekend are off.
    christmas = await due_at("2027-12-23T15:00:00+01:00", 120)
    assert christmas == datetime.fromisoformat("2027-12-27T08:00:00+01:00")
    # The office's own day out, the Friday before the weekend.
    thursday = f"{day_out - timedelta(days=1)}T15:00:00+02:00"
    after_day_out = await due_at(thursday, 120)
    assert after_day_out == datetime.fromisoformat(f"{day_out + timedelta(days=3)}T08:00:00+02:00")

    # The story's urgent case: around the clock, long past both targets, no reply yet.
    story = await _case(api, demo.admin, ORIGINAL_TITLE)
    sla = (await api.data(CASE_SLA, {"id": story["id"]}, demo.admin))["case"]
    assert sla["priority"] == {"name": "Akut"}
    assert sla["sla"]["policy"] == {"name": "Akut jour"}
    created = datetime.fromisoformat(sla["createdAt"])
    assert datetime.fromisoformat(sla["sla"]["firstResponseDueAt"]) == created + timedelta(
        minutes=30
    )
    assert sla["sla"]["breaches"] == ["FIRST_RESPONSE", "RESOLUTION"]
    breached = await _count(api, demo.admin, slaBreached=True)
    assert 0 < breached < await _count(api, demo.admin)
    assert breached + await _count(api, demo.admin, slaBreached=False) == await _count(
        api, demo.admin
    )


async def _fetch(api: Api, attachment: dict[str, Any], given: DemoFile) -> None:
    """The attachment is the demo file, and its link serves the file's bytes from the store."""
    assert (attachment["filename"], attachment["contentType"], attachment["size"]) == (
        given.filename,
        given.content_type,
        len(given.content),
    )
    got = await download(api, attachment["url"])
    assert got.status_code == 200
    assert got.content == given.content
    assert got.headers["content-type"].startswith(given.content_type.split(";")[0])


async def test_files_on_cases_a_comment_and_a_customer_message(api: Api, demo: Demo) -> None:
    story = await _case(api, demo.admin, ORIGINAL_TITLE)
    files = (await api.data(CASE_FILES, {"id": story["id"]}, demo.admin))["case"]
    # The action plan, then the insurance claim the customer sent on the merged duplicate.
    plan, claim = (edge["node"] for edge in files["attachments"]["edges"])
    assert plan["uploadedByName"] == "Johan Berg"
    await _fetch(api, plan, ACTION_PLAN)
    assert claim["uploadedByName"] == "Karin Svensson"
    await _fetch(api, claim, INSURANCE_CLAIM)
    assert ACTION_PLAN.content.startswith(b"%PDF-1.4") and b"%%EOF" in ACTION_PLAN.content
    [message] = [edge["node"] for edge in files["messages"]["edges"]]
    assert message["body"] == CUSTOMER_MESSAGE
    assert [a["filename"] for a in message["attachments"]] == [INSURANCE_CLAIM.filename]

    # The customer sees the file of their own message in the portal.
    portal = (await api.data(PORTAL_FILES, token=demo.portal))["portalCases"]["edges"]
    [seen] = [edge["node"] for edge in portal if edge["node"]["title"] == ORIGINAL_TITLE]
    [told] = [edge["node"] for edge in seen["messages"]["edges"]]
    assert [a["filename"] for a in told["attachments"]] == [INSURANCE_CLAIM.filename]
    assert (await download(api, told["attachments"][0]["url"])).content == INSURANCE_CLAIM.content

    measured = await _case(api, demo.admin, CHILDREN[0][0])
    on_child = (await api.data(CASE_FILES, {"id": measured["id"]}, demo.admin))["case"]
    [comment] = [edge["node"] for edge in on_child["comments"]["edges"]]
    assert comment["body"] == MEASURED
    [readings] = comment["attachments"]
    assert readings["uploadedByName"] == "Maria Åkesson"
    await _fetch(api, readings, MOISTURE_READINGS)

    newest = await api.data(NEWEST, {"search": INSPECTION_TITLE}, demo.admin)
    [inspection] = [edge["node"] for edge in newest["cases"]["edges"]]
    assert inspection["title"] == INSPECTION_TITLE
    [report] = [edge["node"] for edge in inspection["attachments"]["edges"]]
    await _fetch(api, report, INSPECTION_REPORT)


async def test_a_paused_webhook_for_the_property_system(api: Api, demo: Demo) -> None:
    [webhook] = (await api.data(WEBHOOKS, token=demo.admin))["webhooks"]
    assert webhook["url"] == WEBHOOK_URL
    assert webhook["url"].startswith("https://")
    assert webhook["events"] == [
        "CASE_REGISTERED",
        "CASE_UPDATED",
        "CUSTOMER_MESSAGE_RECEIVED",
        "SLA_BREACHED",
    ]
    # Paused: nothing was or will be sent, however much the demo's cases change.
    assert webhook["active"] is False
    assert webhook["deliveries"]["totalCount"] == 0
    assert await api.error_codes(WEBHOOKS, token=demo.member) == ["FORBIDDEN"]
