"""The real app, served by uvicorn, once per backend: SQLite + memory and PostgreSQL + Redis.

Every test that takes the `api` fixture runs on both backends. Where PostgreSQL or Redis
cannot be reached that half is skipped with the reason, unless WORKCLOUD_REQUIRE_SERVICES=1,
where it fails.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from redis.asyncio import Redis

from config.settings import Settings
from graph import ids
from tests.support.client import Api, Delivery
from tests.support.mail_server import MailServer
from tests.support.sms_gateway import SmsGateway
from workcloud.server import create_app

PG_ADMIN_DSN = os.environ.get(
    "WORKCLOUD_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("WORKCLOUD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("WORKCLOUD_REQUIRE_SERVICES") == "1"

BACKENDS = ["sqlite", "postgres"]
# Every test signs in from 127.0.0.1; the throttle tests set their own limits.
TEST_FAILURES_PER_ADDRESS = 100_000
TEST_PING_INTERVAL = 0.5
# Production-strength Argon2 costs half a second per sign-in on a busy 2-core machine.
CHEAP_PASSWORD_HASHES = {"password_hash_time_cost": 1, "password_hash_memory_kib": 1024}
INBOUND_SECRET = "inbound-test-secret"
INBOUND_DOMAIN = "inbound.workcloud.test"
KEEP_ALIVE_SECONDS = 3600


async def services_problem() -> str | None:
    try:
        connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
        await connection.close()
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"PostgreSQL at {PG_ADMIN_DSN} unreachable: {error!r}"
    redis = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await redis.ping()
    except Exception as error:
        return f"Redis at {REDIS_URL} unreachable: {error!r}"
    finally:
        await redis.aclose()
    return None


class PostgresDatabase:
    """A throw-away database for one test session."""

    def __init__(self) -> None:
        self.name = f"workcloud_test_{uuid.uuid4().hex[:12]}"
        base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        self.url = f"{base}/{self.name}"

    async def create(self) -> None:
        connection = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await connection.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await connection.close()

    async def drop(self) -> None:
        connection = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            await connection.close()


async def serve(settings: Settings) -> AsyncIterator[tuple[str, Any]]:
    # A process serves one database's ids (graph/ids.py); a test server on a database of its
    # own installs that one's, so the ids of the servers already running come back after it.
    ids_before = ids.installed()
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        ws="websockets-sansio",
        lifespan="on",
        # The test clients keep their connections for the whole session: a server closing an
        # idle one (uvicorn's 5 s) just as a client reuses it fails that request with a
        # ReadError, which says nothing about the API.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        await task
        if ids_before is not None:
            ids.use(ids_before)


@pytest.fixture(scope="session")
async def mail_server() -> AsyncIterator[MailServer]:
    """A real SMTP server every backend's app delivers to."""
    server = MailServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(scope="session")
async def sms_gateway() -> AsyncIterator[SmsGateway]:
    """A real HTTP server in the SMS provider's place."""
    async with SmsGateway().running() as gateway:
        yield gateway


def _delivery(mail_server: MailServer, sms_gateway: SmsGateway) -> dict[str, Any]:
    # Quick retries, so that a test can watch the outbox back off and recover.
    return {
        "smtp_url": mail_server.url,
        "sms_url": sms_gateway.url,
        "mail_from": "arenden@kvarnen.test",
        "inbound_domain": INBOUND_DOMAIN,
        "inbound_secret": INBOUND_SECRET,
        "outbox_poll_seconds": 0.5,
        "outbox_retry_base_seconds": 0.25,
        "outbox_retry_max_seconds": 2.0,
        "outbox_max_attempts": 4,
    }


@pytest.fixture(scope="session", params=BACKENDS)
async def backend_settings(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    mail_server: MailServer,
    sms_gateway: SmsGateway,
) -> AsyncIterator[Settings]:
    delivery = _delivery(mail_server, sms_gateway)
    # Attachments in a directory of the test run's own, never the working directory.
    delivery["storage_url"] = f"file://{tmp_path_factory.mktemp('attachments')}"
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "workcloud.db"
        yield Settings(
            database_url=f"sqlite+aiosqlite:///{path}",
            broadcast_url="memory://",
            ws_ping_interval=TEST_PING_INTERVAL,
            **CHEAP_PASSWORD_HASHES,
            sign_in_failures_per_address=TEST_FAILURES_PER_ADDRESS,
            **delivery,
        )
        return
    problem = await services_problem()
    if problem is not None:
        if REQUIRE_SERVICES:
            pytest.fail(f"WORKCLOUD_REQUIRE_SERVICES=1 but {problem}")
        pytest.skip(f"POSTGRESQL + REDIS HALF SKIPPED: {problem}")
    database = PostgresDatabase()
    await database.create()
    try:
        yield Settings(
            database_url=database.url,
            broadcast_url=REDIS_URL,
            # This test run's own channels, whatever else shares the Redis.
            broadcast_channel_prefix=f"{database.name}.",
            ws_ping_interval=TEST_PING_INTERVAL,
            **CHEAP_PASSWORD_HASHES,
            sign_in_failures_per_address=TEST_FAILURES_PER_ADDRESS,
            **delivery,
        )
    finally:
        await database.drop()


@pytest.fixture(scope="session")
async def api(
    backend_settings: Settings, mail_server: MailServer, sms_gateway: SmsGateway
) -> AsyncIterator[Api]:
    backend = "sqlite" if backend_settings.database_url.startswith("sqlite") else "postgres"
    async for base_url, app in serve(backend_settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            services = app.state.services
            yield Api(
                base_url=base_url,
                http=http,
                db=services.db,
                backend=backend,
                services=services,
                delivery=Delivery(mail_server, sms_gateway, app.state.outbox_sender),
            )


@pytest.fixture
def api_with(
    backend_settings: Settings,
) -> Callable[..., AbstractAsyncContextManager[Api]]:
    """Another server on the same backend, with some settings changed."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Api]:
        settings = backend_settings.model_copy(update=overrides)
        backend = "sqlite" if settings.database_url.startswith("sqlite") else "postgres"
        async for base_url, app in serve(settings):
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
                services = app.state.services
                yield Api(
                    base_url=base_url, http=http, db=services.db, backend=backend, services=services
                )

    return start


_outcomes: Counter[tuple[str, str]] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    backend = next(
        (b for b in BACKENDS if f"[{b}" in report.nodeid or f"-{b}]" in report.nodeid), None
    )
    _outcomes[(backend or "backend-independent", report.outcome)] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.section("tests per backend")
    for backend in [*BACKENDS, "backend-independent"]:
        counts = {o: n for (b, o), n in _outcomes.items() if b == backend}
        if counts:
            parts = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
            terminalreporter.write_line(f"{backend:>20}: {parts}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Run all of one backend's tests together, so only one server runs at a time.
    def backend_index(item: pytest.Item) -> int:
        callspec = getattr(item, "callspec", None)
        param = callspec.params.get("backend_settings") if callspec else None
        return BACKENDS.index(param) if param in BACKENDS else -1

    items.sort(key=backend_index)


@pytest.fixture
def repo_root() -> Iterator[Path]:
    return Path(__file__).resolve().parent.parent
