"""`workcloud serve` run as in production, each server its own process: worker processes,
a path prefix behind a proxy, the client address from a trusted proxy; and `--version`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from db.engine import Database
from domain.tenants import create_tenant
from tests.support.client import PASSWORD, unique
from tests.support.processes import free_port
from workcloud.cli import main

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  token userErrors { code } } }"""
# Two workers importing the app on a busy shared machine take their time.
START_TIMEOUT = 120.0


class Served:
    """`python -m workcloud serve <flags>` in a process group of its own, output in a file."""

    def __init__(self, process: asyncio.subprocess.Process, port: int, log: Path) -> None:
        self.process = process
        self.base_url = f"http://127.0.0.1:{port}"
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def wait_for_output(self, text: str, count: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while self.output().count(text) < count:
            assert time.monotonic() < deadline, f"no {count} x {text!r} in: {self.output()}"
            await asyncio.sleep(0.2)


def server_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "WORKCLOUD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'workcloud.db'}",
        "WORKCLOUD_BROADCAST_URL": "memory://",
        "WORKCLOUD_STORAGE_URL": (tmp_path / "attachments").as_uri(),
        "WORKCLOUD_PASSWORD_HASH_TIME_COST": "1",
        "WORKCLOUD_PASSWORD_HASH_MEMORY_KIB": "1024",
        **{f"WORKCLOUD_{name.upper()}": value for name, value in settings.items()},
    }


@asynccontextmanager
async def served(tmp_path: Path, *flags: str, **settings: str) -> AsyncIterator[Served]:
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "workcloud",
            "serve",
            "--port",
            str(port),
            *flags,
            env=server_env(tmp_path, **settings),
            cwd=tmp_path,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    server = Served(process, port, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        async with httpx.AsyncClient(base_url=server.base_url, timeout=5) as http:
            while True:
                assert process.returncode is None, f"server exited: {server.output()}"
                assert time.monotonic() < deadline, f"never healthy: {server.output()}"
                try:
                    if (await http.get("/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        yield server
    finally:
        if process.returncode is None:
            # The workers too, whatever state the test left them in.
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


async def new_admin(tmp_path: Path) -> str:
    """Migrates the test's database (before workers race to) and makes a tenant on it."""
    db = Database(server_env(tmp_path)["WORKCLOUD_DATABASE_URL"])
    email = f"{unique('admin')}@example.se"
    try:
        await db.migrate()
        async with db.transaction(None) as session:
            await create_tenant(
                session, name="Driftsättning AB", admin_email=email, admin_password=PASSWORD
            )
    finally:
        await db.dispose()
    return email


async def sign_in(http: httpx.AsyncClient, email: str, endpoint: str = "/graphql") -> str:
    answer = await http.post(
        endpoint, json={"query": LOGIN, "variables": {"e": email, "p": PASSWORD}}
    )
    token: str = answer.json()["data"]["login"]["token"]
    return token


def test_version_is_the_package_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "workcloud", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout == f"workcloud {version('workcloud-cases')}\n"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--workers", "0"], "--workers: must be at least 1, got 0"),
        (["--backlog", "0"], "--backlog: must be at least 1, got 0"),
        (["--root-path", "api"], "--root-path: must start with / and not end with one"),
        (["--root-path", "/api/"], "--root-path: must start with / and not end with one"),
        (["--forwarded-allow-ips", "10.0.0.1"], "--forwarded-allow-ips needs --proxy-headers"),
    ],
)
def test_bad_serve_flags_are_refused(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", *flags])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


async def read_until_closed(socket: ClientConnection) -> None:
    while True:
        await asyncio.wait_for(socket.recv(), 30)


async def test_two_workers_answer_and_sigterm_closes_their_sockets(tmp_path: Path) -> None:
    email = await new_admin(tmp_path)
    async with served(tmp_path, "--workers", "2") as server:
        await server.wait_for_output("Application startup complete.", 2)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            token = await sign_in(http, email)
            viewer = await http.post(
                "/graphql",
                json={"query": "{ viewer { kind } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert viewer.json() == {"data": {"viewer": {"kind": "STAFF"}}}
        ws_url = server.base_url.replace("http", "ws", 1) + "/graphql"
        async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            await socket.send(json.dumps(init))
            assert json.loads(await asyncio.wait_for(socket.recv(), 30))["type"] == "connection_ack"

            # What `docker stop` does: SIGTERM to the parent, which passes it to each worker.
            server.process.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                await read_until_closed(socket)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1012
        assert await asyncio.wait_for(server.process.wait(), 60) == 0
        assert server.output().count("Finished server process") == 2


@asynccontextmanager
async def prefix_stripping_proxy(upstream: str, prefix: str) -> AsyncIterator[str]:
    """A reverse proxy serving `upstream` under `prefix`, as nginx's `location /api/ {
    proxy_pass http://upstream/; proxy_set_header Host $host; }` does."""

    async def forward(request: Request) -> Response:
        path = request.url.path.removeprefix(prefix)
        async with httpx.AsyncClient(base_url=upstream, timeout=30) as http:
            answer = await http.request(
                request.method,
                path,
                params=request.query_params,
                headers=request.headers,
                content=await request.body(),
            )
        passed = {
            name: value
            for name, value in answer.headers.items()
            if name not in ("content-length", "transfer-encoding", "content-encoding")
        }
        return Response(answer.content, status_code=answer.status_code, headers=passed)

    app = Starlette(routes=[Route(prefix + "/{rest:path}", forward, methods=["GET", "POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    proxy = uvicorn.Server(config)
    proxy.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(proxy.serve())
    while not proxy.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = proxy.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proxy.should_exit = True
        await task


async def test_root_path_serves_under_a_prefix_that_a_proxy_strips(tmp_path: Path) -> None:
    email = await new_admin(tmp_path)
    async with (
        served(tmp_path, "--root-path", "/api") as server,
        prefix_stripping_proxy(server.base_url, "/api") as public,
        httpx.AsyncClient(base_url=public, timeout=30) as http,
    ):
        assert (await http.get("/api/health")).json() == {"status": "ok"}
        token = await sign_in(http, email, "/api/graphql")
        viewer = await http.post(
            "/api/graphql",
            json={"query": "{ viewer { kind } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert viewer.json() == {"data": {"viewer": {"kind": "STAFF"}}}

        # A redirect names the public path, prefix and all, and leads somewhere.
        redirect = await http.get("/api/graphql/", headers={"Accept": "text/html"})
        assert redirect.status_code == 307
        assert redirect.headers["location"] == f"{public}/api/graphql"
        ide = await http.get(redirect.headers["location"], headers={"Accept": "text/html"})
        assert ide.status_code == 200
        assert "graphiql" in ide.text.lower()

        # The socket the proxy would pass on (at the stripped path) is the GraphQL one.
        ws_url = server.base_url.replace("http", "ws", 1) + "/graphql"
        async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as socket:  # type: ignore[list-item]
            init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            await socket.send(json.dumps(init))
            assert json.loads(await asyncio.wait_for(socket.recv(), 30))["type"] == "connection_ack"
        # Unprefixed, the public path is not the API's.
        assert (await http.get("/health")).status_code == 404


async def failed_sign_in(http: httpx.AsyncClient, address: str) -> str:
    """The code a wrong sign-in from `address` (as a proxy reports it) is answered with."""
    answer = (
        await http.post(
            "/graphql",
            json={"query": LOGIN, "variables": {"e": f"{unique('x')}@example.se", "p": "wrong"}},
            headers={"X-Forwarded-For": address},
        )
    ).json()
    if "errors" in answer:
        code: str = answer["errors"][0]["extensions"]["code"]
        return code
    (error,) = answer["data"]["login"]["userErrors"]
    code = error["code"]
    return code


async def test_proxy_headers_from_a_trusted_proxy_give_the_client_address(
    tmp_path: Path,
) -> None:
    async with (
        served(
            tmp_path,
            "--proxy-headers",
            "--forwarded-allow-ips",
            "127.0.0.1",
            sign_in_failures_per_address="2",
        ) as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=30) as http,
    ):
        assert [await failed_sign_in(http, "203.0.113.7") for _ in range(3)] == [
            "INVALID",
            "INVALID",
            "RATE_LIMITED",
        ]
        # Another client behind the same proxy is counted on its own.
        assert await failed_sign_in(http, "203.0.113.8") == "INVALID"
        # The scheme the client used is the one in generated URLs.
        redirect = await http.get("/graphql/", headers={"X-Forwarded-Proto": "https"})
        assert redirect.headers["location"].startswith("https://")


async def test_without_proxy_headers_forwarded_headers_are_ignored(tmp_path: Path) -> None:
    async with (
        served(tmp_path, sign_in_failures_per_address="2") as server,
        httpx.AsyncClient(base_url=server.base_url, timeout=30) as http,
    ):
        assert await failed_sign_in(http, "203.0.113.7") == "INVALID"
        assert await failed_sign_in(http, "203.0.113.8") == "INVALID"
        # Both counted against the connection's own address, whatever the header claimed.
        assert await failed_sign_in(http, "203.0.113.9") == "RATE_LIMITED"
        redirect = await http.get("/graphql/", headers={"X-Forwarded-Proto": "https"})
        assert redirect.headers["location"].startswith("http://")
