"""The container: the Dockerfile passes hadolint and builds what the package needs, its
health probe tells a healthy server from a sick or absent one, and compose.yaml wires two
instances to PostgreSQL, Redis, Mailpit and one attachments volume with settings that exist."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from subprocess import DEVNULL
from typing import Any
from urllib.parse import urlparse

import yaml

from config.settings import Settings
from tests.conftest import CHEAP_PASSWORD_HASHES, serve
from tests.support.processes import free_port
from workcloud.cli import command_line

ROOT = Path(__file__).resolve().parent.parent
HADOLINT = Path(sys.executable).with_name("hadolint")


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) for each instruction, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def stages() -> list[list[tuple[str, str]]]:
    split: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions((ROOT / "Dockerfile").read_text()):
        if keyword == "FROM":
            split.append([])
        split[-1].append((keyword, rest))
    return split


def exec_form(arguments: str) -> list[str]:
    words: list[str] = json.loads(arguments)
    return words


def test_the_dockerfile_passes_hadolint() -> None:
    linted = subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "info", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_image_runs_workcloud_serve_as_a_user_on_slim_python() -> None:
    build, runtime = stages()
    assert build[0][1] == "python:3.11-slim AS build"
    assert runtime[0][1] == "python:3.11-slim"
    final = dict(runtime)
    user = final["USER"].split(":")[0]
    assert user.isdigit() and int(user) != 0
    assert final["EXPOSE"] == "8000"
    # Nothing is built in the runtime stage: it only copies the build stage's environment.
    assert not any(keyword == "RUN" and "apt-get" in rest for keyword, rest in runtime)
    assert ("COPY", "--from=build /opt/venv /opt/venv") in runtime
    assert exec_form(final["ENTRYPOINT"]) == ["workcloud"]
    command = command_line().parse_args(exec_form(final["CMD"]))
    assert (command.command, command.host, command.port) == ("serve", "0.0.0.0", 8000)


def test_the_image_gets_every_package_the_project_installs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    (build, _runtime) = stages()
    copied = {rest.split()[0].rstrip("/") for keyword, rest in build if keyword == "COPY"}
    assert packages <= copied
    # ... and none of them is left out of the build context.
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    let_in = {line.removeprefix("!").rstrip("/") for line in ignore if line.startswith("!")}
    assert packages | {"pyproject.toml", "README.md"} <= let_in


async def probe_exit_code(base_url: str) -> int:
    """Runs the image's HEALTHCHECK command with its address replaced by `base_url`."""
    (_build, runtime) = stages()
    healthcheck = dict(runtime)["HEALTHCHECK"]
    command = exec_form(healthcheck[healthcheck.index("CMD") + len("CMD") :].strip())
    assert command[:2] == ["python", "-c"]
    code = command[2]
    assert "http://127.0.0.1:8000/health" in code
    code = code.replace("http://127.0.0.1:8000", base_url)
    # Not blocking the loop: the server answering it may be this process's.
    probe = await asyncio.create_subprocess_exec(sys.executable, "-c", code, stderr=DEVNULL)
    return await asyncio.wait_for(probe.wait(), 30)


@asynccontextmanager
async def served(tmp_path: Path, broadcast_url: str) -> AsyncIterator[str]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'workcloud.db'}",
        broadcast_url=broadcast_url,
        storage_url=(tmp_path / "attachments").as_uri(),
        **CHEAP_PASSWORD_HASHES,
    )
    async for base_url, _app in serve(settings):
        yield base_url


async def test_the_health_probe_fails_unless_the_server_is_healthy(tmp_path: Path) -> None:
    async with served(tmp_path, "memory://") as base_url:
        assert await probe_exit_code(base_url) == 0
    # Redis not there: the server answers /health with 503.
    async with served(tmp_path, f"redis://127.0.0.1:{free_port()}/0") as base_url:
        assert await probe_exit_code(base_url) != 0
    assert await probe_exit_code(f"http://127.0.0.1:{free_port()}") != 0


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return document


def interpolated(value: str) -> str:
    """The value with compose's `${NAME:-default}` taken as its default."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_compose_runs_two_instances_on_postgres_redis_mailpit_and_one_volume() -> None:
    document = compose()
    services = document["services"]
    api = {name: service for name, service in services.items() if service.get("build") == "."}
    assert len(api) == 2
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"
    assert services["mailpit"]["image"].startswith("axllent/mailpit")
    first, second = api.values()
    assert first["image"] == second["image"]
    assert first["environment"] == second["environment"]
    exposed = dict(stages()[-1])["EXPOSE"]
    published = [port.split(":") for service in api.values() for port in service["ports"]]
    assert [inside for _outside, inside in published] == [exposed, exposed]
    assert len({outside for outside, _inside in published}) == 2

    for service in api.values():
        env = {key: interpolated(value) for key, value in service["environment"].items()}
        # Every setting is one the server has, and every value one it accepts.
        fields = {key.removeprefix("WORKCLOUD_").lower(): value for key, value in env.items()}
        assert set(fields) <= set(Settings.model_fields), set(fields) - set(Settings.model_fields)
        settings = Settings(_env_file=None, **fields)  # type: ignore[call-arg]
        assert urlparse(settings.database_url).hostname == "postgres"
        assert settings.database_url.startswith("postgresql+asyncpg://")
        assert urlparse(settings.broadcast_url).hostname == "redis"
        assert urlparse(settings.smtp_url or "").hostname == "mailpit"
        assert not settings.is_embedded

        # Attachments on a named volume mounted where the storage URL points, shared by both.
        storage = urlparse(settings.storage_url).path
        assert f"attachments:{storage}" in service["volumes"]
        assert "attachments" in document["volumes"]

        # Started once what it needs is healthy; each of those says when it is.
        for needed, condition in service["depends_on"].items():
            assert condition == {"condition": "service_healthy"}
            assert services[needed]["healthcheck"]["test"]
        assert set(service["depends_on"]) == {"postgres", "redis", "mailpit"}

        serve_args = command_line().parse_args(service["command"])
        assert (serve_args.command, serve_args.host, serve_args.port) == ("serve", "0.0.0.0", 8000)
        assert serve_args.workers >= 1
        # Docker waits longer than the server's own grace before it kills.
        grace = float(service["stop_grace_period"].removesuffix("s"))
        assert grace > settings.shutdown_grace_seconds

    # The instances' own health comes from the image; every other service has a check.
    assert ("HEALTHCHECK" in dict(stages()[-1])) and all(
        services[name].get("healthcheck") for name in services if name not in api
    )
    volumes = {
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
    }
    assert volumes <= set(document["volumes"])
