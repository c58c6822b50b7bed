"""The TypeScript client kit (examples/ts) against a real server that runs only its documents.

GraphQL Code Generator types the example's documents from schema.graphql and writes their
manifest; the server takes that manifest as its trusted documents. The npm packages come
from examples/ts/package-lock.json (`npm ci`, again only when the lock file changed).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from graph.trusted_documents import load_manifest
from tests.support.client import PASSWORD, Api
from tests.support.proxy import TcpProxy

ApiWith = Callable[..., AbstractAsyncContextManager[Api]]

EXAMPLE = Path(__file__).parents[1] / "examples" / "ts"
MANIFEST = EXAMPLE / "src" / "gql" / "persisted-documents.json"


def npm(*args: str) -> None:
    path = shutil.which("npm")
    assert path is not None, "npm is needed for the TypeScript client tests (node 20 and npm)"
    done = subprocess.run(
        [path, *args], cwd=EXAMPLE, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"npm {' '.join(args)}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def built_client() -> Path:
    """The example, generated from the current schema and compiled; its manifest's path."""
    installed = EXAMPLE / "node_modules" / ".package-lock.json"
    lock = EXAMPLE / "package-lock.json"
    if not installed.exists() or lock.stat().st_mtime > installed.stat().st_mtime:
        npm("ci", "--no-audit", "--no-fund", "--silent")
    npm("run", "--silent", "build")  # codegen, then tsc (which fails on any type error)
    return MANIFEST


def trusted_document(manifest: Path, operation: str) -> str:
    """The hash of the manifest's document for `operation`."""
    for sha256, document in json.loads(manifest.read_text()).items():
        if document.startswith(operation):
            return str(sha256)
    raise AssertionError(f"no {operation!r} in {manifest}")


@dataclass
class Example:
    process: asyncio.subprocess.Process
    events: list[dict[str, Any]] = field(default_factory=list)

    async def line(self, timeout: float = 30) -> dict[str, Any]:
        assert self.process.stdout is not None
        try:
            raw = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        except TimeoutError:
            raise AssertionError(f"no output from the client within {timeout} s") from None
        if not raw:
            assert self.process.stderr is not None
            stderr = (await self.process.stderr.read()).decode()
            raise AssertionError(f"the client exited ({self.process.returncode}): {stderr}")
        line: dict[str, Any] = json.loads(raw)
        assert "failed" not in line, line
        if "event" in line:
            self.events.append(line)
        return line

    async def until(self, key: str) -> dict[str, Any]:
        """The next line with `key`, skipping connection events."""
        while True:
            line = await self.line()
            if key in line:
                return line
            assert "event" in line, line


def test_generated_manifest_is_taken_as_trusted_documents(built_client: Path) -> None:
    manifest = load_manifest(built_client)
    operations = sorted(document.split("(")[0] for document in manifest.values())
    assert operations == [
        "mutation AddComment",
        "mutation SignIn",
        "query RecentCases",
        "subscription CommentAdded",
    ]
    assert all(hashlib.sha256(d.encode()).hexdigest() in manifest for d in manifest.values())


async def test_typed_client_follows_comments_and_resumes_after_a_lost_connection(
    api: Api, api_with: ApiWith, built_client: Path
) -> None:
    tenant = await api.new_tenant()
    await tenant.create_case("Trasig port i garaget")
    case_id = await tenant.create_case("Läckage i tvättstugan")
    add_comment = trusted_document(built_client, "mutation AddComment")

    async with api_with(trusted_documents=built_client) as server:

        async def comment(body: str) -> str:
            """A comment over HTTP, as another client would: by the trusted document's hash."""
            request = {
                "variables": {"caseId": case_id, "body": body},
                "extensions": {"persistedQuery": {"version": 1, "sha256Hash": add_comment}},
            }
            headers = {"Authorization": f"Bearer {tenant.admin_token}"}
            response = await server.http.post("/graphql", json=request, headers=headers)
            added = response.json()["data"]["addComment"]
            assert added["userErrors"] == []
            return str(added["comment"]["id"])

        # The client reaches the server through a proxy the test can cut.
        proxy = TcpProxy("127.0.0.1", int(urlparse(server.base_url).port or 0))
        await proxy.start()
        env = {
            **os.environ,
            "WORKCLOUD_URL": f"http://127.0.0.1:{proxy.port}/graphql",
            "WORKCLOUD_EMAIL": tenant.admin_email,
            "WORKCLOUD_PASSWORD": PASSWORD,
            "WORKCLOUD_COMMENT": "Hej från TypeScript",
            "WORKCLOUD_FOLLOW": "4",
        }
        node = shutil.which("node")
        assert node is not None
        process = await asyncio.create_subprocess_exec(
            node,
            "dist/main.js",
            cwd=EXAMPLE,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        client = Example(process)
        try:
            assert (await client.line())["signedIn"]["name"]
            cases = await client.line()
            assert cases["totalCount"] == 2
            assert cases["cases"][0] == {"id": case_id, "title": "Läckage i tvättstugan"}
            commented = await client.line()
            assert commented["commented"]["body"] == "Hej från TypeScript"
            assert await client.line() == {"event": "connected"}

            first = await comment("Live over HTTP")
            live = await client.until("comment")
            assert (live["comment"]["id"], live["comment"]["body"]) == (first, "Live over HTTP")
            assert live["comment"]["author"]["name"]

            await proxy.cut()
            assert (await client.line())["event"] == "closed"
            missed = [await comment("Missed while away, 1"), await comment("Missed while away, 2")]
            await proxy.restore()
            # Resubscribed with `after` = the last comment seen: the missed ones, once each.
            resumed = [(await client.until("comment"))["comment"] for _ in missed]
            assert [c["id"] for c in resumed] == missed
            assert [c["body"] for c in resumed] == ["Missed while away, 1", "Missed while away, 2"]
            later = await comment("After the reconnect")
            assert (await client.until("comment"))["comment"]["id"] == later
            assert await client.until("done") == {"done": True, "comments": 4}
            assert await asyncio.wait_for(process.wait(), 30) == 0
            assert client.events.count({"event": "connected"}) == 2
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            await proxy.cut()
