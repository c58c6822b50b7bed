"""GraphiQL in a real browser: headless Chromium (Debian's) loads it from the test's server
with every request to another host blocked, signs in with the example tab,
runs a query, and watches a comment added over HTTP arrive in a `commentAdded` subscription."""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, WebSocket, async_playwright

from config.settings import Settings
from domain.tenants import create_tenant
from tests.conftest import CHEAP_PASSWORD_HASHES, serve
from tests.support.client import PASSWORD, Api, Tenant, unique

CHROMIUM = Path(os.environ.get("WORKCLOUD_TEST_CHROMIUM", "/usr/bin/chromium"))
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
QUERY = ".graphiql-query-editor .CodeMirror"
# Variables or Headers, whichever tab is open below the query.
EDITOR_TOOL = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESULT = ".result-window .CodeMirror"


@dataclass
class Site:
    tenant: Tenant
    case_id: str

    @property
    def base_url(self) -> str:
        return self.tenant.api.base_url

    @property
    def email(self) -> str:
        return self.tenant.admin_email


@dataclass
class Visit:
    """A page of GraphiQL in a fresh browser context, and what it tried to reach."""

    page: Page
    blocked: list[str] = field(default_factory=list)
    sockets: list[WebSocket] = field(default_factory=list)
    frames_sent: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    """The embedded default (SQLite + memory broadcast), where GraphiQL is on."""
    path = tmp_path_factory.mktemp("graphiql") / "workcloud.db"
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{path}",
        broadcast_url="memory://",
        **CHEAP_PASSWORD_HASHES,
    )
    assert settings.graphiql_enabled
    async for base_url, app in serve(settings):
        email = f"{unique('admin')}@example.se"
        async with app.state.services.db.transaction(None) as session:
            row, _admin = await create_tenant(
                session, name="Glas AB", admin_email=email, admin_password=PASSWORD
            )
        async with httpx.AsyncClient(base_url=base_url, timeout=15) as http:
            api = Api(base_url, http, app.state.services.db, "sqlite", app.state.services)
            tenant = Tenant(api, row.id, email, await api.login(email))
            yield Site(tenant, await tenant.create_case("Trasig port"))


def chromium() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: install Debian's package with "
            "`apt-get install -y chromium` (Playwright downloads no browser here), "
            "or point WORKCLOUD_TEST_CHROMIUM at one."
        )
    return str(CHROMIUM)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    executable = chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable)
        try:
            yield launched
        finally:
            await launched.close()


async def open_graphiql(browser: Browser, site: Site) -> Visit:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    visit = Visit(page)

    async def only_this_machine(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            visit.blocked.append(route.request.url)
            await route.abort("blockedbyclient")

    await context.route("**/*", only_this_machine)

    def opened(socket: WebSocket) -> None:
        visit.sockets.append(socket)
        socket.on("framesent", lambda payload: visit.frames_sent.append(str(payload)))

    page.on("websocket", opened)
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    page.on(
        "console",
        lambda message: visit.errors.append(message.text) if message.type == "error" else None,
    )
    await page.goto(f"{site.base_url}/graphql", wait_until="networkidle")
    await page.locator(QUERY).wait_for()
    return visit


async def replace_text(page: Page, text: str) -> None:
    """Pastes over the open Variables or Headers editor's contents, as a person would."""
    await page.locator(EDITOR_TOOL).click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(text)


async def run(page: Page, operation: str) -> None:
    await page.locator(".graphiql-execute-button").click()
    await page.get_by_role("menuitem", name=operation, exact=True).click()


async def result_text(page: Page) -> str:
    text: str = await page.locator(RESULT).evaluate("element => element.CodeMirror.getValue()")
    return text


async def result_when(page: Page, wanted: str, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = await result_text(page)
        if wanted in text:
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"{wanted!r} never appeared in the result pane: {text!r}")
        await page.wait_for_timeout(100)


async def test_graphiql_signs_in_queries_and_follows_comments_offline(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    visit = await open_graphiql(browser, site)
    page = visit.page
    example = await page.locator(QUERY).evaluate("element => element.CodeMirror.getValue()")
    # The product's own greeting, with the header to paste.
    assert example.startswith("# WorkCloud Cases")
    assert '{"Authorization": "Bearer <token>"}' in example
    assert "Welcome to GraphiQL" not in example

    # Sign in with the example tab's SignIn.
    await replace_text(page, json.dumps({"email": site.email, "password": PASSWORD}))
    await run(page, "SignIn")
    signed_in = json.loads(await result_when(page, '"token"'))["data"]["login"]
    assert signed_in["userErrors"] == []
    token = signed_in["token"]

    # The header the greeting names, pasted into Headers.
    await page.locator(".graphiql-editor-tools button[data-name=headers]").click()
    await replace_text(page, json.dumps({"Authorization": f"Bearer {token}"}))
    await run(page, "Cases")
    cases = json.loads(await result_when(page, site.case_id))["data"]
    assert cases["viewer"]["kind"] == "STAFF"
    assert [edge["node"]["title"] for edge in cases["cases"]["edges"]] == ["Trasig port"]

    # Follow the case's comments, and add one over HTTP.
    await page.locator(".graphiql-editor-tools button[data-name=variables]").click()
    await replace_text(page, json.dumps({"caseId": site.case_id}))
    await run(page, "CommentAdded")
    await until(lambda: any('"subscribe"' in frame for frame in visit.frames_sent), page)
    body, seen = await add_comments_until_shown(page, site)
    assert json.loads(seen)["data"]["commentAdded"]["body"] == body

    screenshot = tmp_path / "graphiql.png"
    await page.screenshot(path=screenshot)
    print(f"GraphiQL screenshot: {screenshot}")
    assert visit.blocked == []
    assert visit.errors == []
    await page.context.close()


async def until(check: Callable[[], bool], page: Page, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await page.wait_for_timeout(50)


async def add_comments_until_shown(page: Page, site: Site) -> tuple[str, str]:
    """A comment added over HTTP, until one shows in the result pane (the subscription may
    start listening a moment after the browser sent it)."""
    for attempt in range(5):
        body = f"Porten är lagad ({attempt})"
        await site.tenant.add_comment(site.case_id, body)
        try:
            return body, await result_when(page, body, timeout=3)
        except AssertionError:
            continue
    raise AssertionError(f"no comment reached the subscription: {await result_text(page)!r}")


async def test_a_subscription_without_a_token_says_so_and_stops(
    browser: Browser, site: Site
) -> None:
    visit = await open_graphiql(browser, site)
    page = visit.page
    await replace_text(page, json.dumps({"caseId": site.case_id}))
    await run(page, "CommentAdded")
    shown: dict[str, Any] = json.loads(await result_when(page, "4403"))
    message = shown["errors"][0]["message"]
    assert "refused" in message
    assert '{"Authorization": "Bearer <token>"}' in message
    # The subscription is over (its client closed for good), after one refused connection:
    # a retry would have come a second or more later, with the button still at "Stop".
    await page.get_by_role("button", name="Execute query (Ctrl-Enter)").wait_for(timeout=5000)
    await page.wait_for_timeout(1000)
    assert len(visit.sockets) == 1
    assert visit.blocked == []
    await page.context.close()


async def test_graphiql_files_are_served_only_where_graphiql_is_on(
    site: Site, tmp_path: Path
) -> None:
    script = "/graphiql/vendor/graphiql.min.js"
    page = await site.tenant.api.http.get("/graphql", headers={"Accept": "text/html"})
    assert 'src="graphiql/vendor/graphiql.min.js"' in page.text
    served = await site.tenant.api.http.get(script)
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/javascript")
    closed = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'closed.db'}",
        broadcast_url="memory://",
        graphiql=False,
    )
    async for base_url, _app in serve(closed):
        async with httpx.AsyncClient(base_url=base_url) as http:
            assert (await http.get(script)).status_code == 404
