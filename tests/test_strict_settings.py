"""Start-up refuses what it does not understand: a WORKCLOUD_* variable that is no setting
and a value a setting does not take stop the `workcloud` command with exit code 2 and one
line naming the variable; the database URLs hosts hand out are taken as they are."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from config.environment import RENAMED, is_allowed_elsewhere
from config.settings import Settings, with_database_driver
from tests.conftest import PG_ADMIN_DSN, REQUIRE_SERVICES
from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parent.parent
WORKCLOUD = Path(sys.executable).with_name("workcloud")
SETTINGS = {f"WORKCLOUD_{field.upper()}" for field in Settings.model_fields}
NAME = re.compile(r"WORKCLOUD_[A-Z_]+")


def workcloud(tmp_path: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """The installed `workcloud` command, in a directory of its own (no `.env` but the
    test's), with the test run's environment and `variables`."""
    return subprocess.run(
        [str(WORKCLOUD), *args],
        env={
            **os.environ,
            "WORKCLOUD_DATABASE_URL": f"sqlite:///{tmp_path / 'workcloud.db'}",
            **variables,
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        # Were the settings taken, `serve` would run until this.
        timeout=60,
        check=False,
    )


def test_a_misspelt_variable_stops_start_up_naming_the_setting_meant(tmp_path: Path) -> None:
    done = workcloud(
        tmp_path,
        "serve",
        "--port",
        str(free_port()),
        WORKCLOUD_DATABSE_URL="postgresql://postgres@127.0.0.1:5432/cases",
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "WORKCLOUD_DATABSE_URL: no such setting; did you mean WORKCLOUD_DATABASE_URL?"
    ]


def test_a_misspelt_entry_in_dot_env_stops_start_up_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("WORKCLOUD_MAX_FILE=3\nOTHER_TOOL_SETTING=1\n")
    done = workcloud(tmp_path, "schema")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "WORKCLOUD_MAX_FILE: no such setting; did you mean WORKCLOUD_MAX_FILES?"
    ]


def test_a_name_close_to_no_setting_is_refused_without_a_guess(tmp_path: Path) -> None:
    done = workcloud(tmp_path, "schema", WORKCLOUD_QWERTY="1")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "WORKCLOUD_QWERTY: no such setting (config/settings.py lists them)"
    ]


def test_a_bad_value_stops_start_up_saying_what_the_setting_takes(tmp_path: Path) -> None:
    done = workcloud(tmp_path, "serve", "--port", str(free_port()), WORKCLOUD_MAX_FILES="lots")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "WORKCLOUD_MAX_FILES: input should be a valid integer, unable to parse string as an integer"
    ]


def test_every_problem_is_one_line_and_no_secret_is_repeated(tmp_path: Path) -> None:
    done = workcloud(
        tmp_path,
        "migrate",
        WORKCLOUD_ID_KEY="too-short-secret",
        WORKCLOUD_DATABASE_POOLER="pgpool",
        WORKCLOUD_DATABASE_URL="mysql://root@db/cases",
        WORKCLOUD_SMTP_ULR="smtp://mail",
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "too-short-secret" not in done.stderr
    assert sorted(done.stderr.splitlines()) == [
        "WORKCLOUD_DATABASE_POOLER: input should be 'none' or 'pgbouncer'",
        "WORKCLOUD_DATABASE_URL: expected postgresql://user@host:port/database (or postgres://)"
        " or sqlite:///path/to/file.db",
        "WORKCLOUD_ID_KEY: expected at least 32 characters",
        "WORKCLOUD_SMTP_ULR: no such setting; did you mean WORKCLOUD_SMTP_URL?",
    ]


def test_the_tests_and_benchmarks_variables_are_no_settings_but_allowed(tmp_path: Path) -> None:
    done = workcloud(
        tmp_path,
        "schema",
        WORKCLOUD_TEST_PG_DSN=PG_ADMIN_DSN,
        WORKCLOUD_BENCH_DATABASE="workcloud_bench",
        WORKCLOUD_REQUIRE_SERVICES="1",
        WORKCLOUD_URL="http://127.0.0.1:8000/graphql",
    )
    assert done.returncode == 0, done.stderr
    assert "type Query" in done.stdout


@pytest.mark.parametrize(
    ("url", "taken_as"),
    [
        (
            "postgres://postgres@127.0.0.1:5432/test",
            "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        ),
        (
            "postgresql://app:s%40cret@db.internal/cases?ssl=require&timeout=5",
            "postgresql+asyncpg://app:s%40cret@db.internal/cases?ssl=require&timeout=5",
        ),
        ("POSTGRES://db/cases", "postgresql+asyncpg://db/cases"),
        ("postgresql+asyncpg://db/cases", "postgresql+asyncpg://db/cases"),
        ("sqlite:///./workcloud.db", "sqlite+aiosqlite:///./workcloud.db"),
        (
            "sqlite:////var/lib/workcloud/workcloud.db",
            "sqlite+aiosqlite:////var/lib/workcloud/workcloud.db",
        ),
        ("sqlite+aiosqlite:///./workcloud.db", "sqlite+aiosqlite:///./workcloud.db"),
    ],
    # Not named after the backends: the summary would count them as a backend's tests.
    ids=[
        "as-hosts-give-it",
        "query-kept",
        "scheme-in-capitals",
        "driver-named",
        "relative-file",
        "absolute-file",
        "file-driver-named",
    ],
)
def test_database_urls_are_taken_with_the_apps_driver(url: str, taken_as: str) -> None:
    assert with_database_driver(url) == taken_as
    assert Settings(_env_file=None, database_url=url).database_url == taken_as  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "url",
    ["mysql://root@db/cases", "postgresql+psycopg://db/cases", "db.internal/cases", ""],
    ids=["mysql", "another-driver", "no-scheme", "empty"],
)
def test_other_database_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="expected postgresql://"):
        with_database_driver(url)


async def test_a_postgres_url_as_hosts_give_it_reaches_the_database(tmp_path: Path) -> None:
    name = f"workcloud_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        if REQUIRE_SERVICES:
            pytest.fail(f"WORKCLOUD_REQUIRE_SERVICES=1 but PostgreSQL is unreachable: {error!r}")
        pytest.skip(f"POSTGRESQL UNREACHABLE, NOTHING TO MIGRATE: {error!r}")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        server = PG_ADMIN_DSN.rsplit("/", 1)[0].split("://", 1)[1]
        done = workcloud(
            tmp_path, "migrate", WORKCLOUD_DATABASE_URL=f"postgres://{server}/{name}?ssl=disable"
        )
        assert done.returncode == 0, done.stderr
        migrated = await asyncpg.connect(f"postgresql://{server}/{name}")
        try:
            assert await migrated.fetchval("SELECT count(*) FROM alembic_version") == 1
        finally:
            await migrated.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    paths = [ROOT / name for name in listed.stdout.decode().split("\0") if name]
    return [path for path in paths if path.is_file()]


def test_every_workcloud_variable_the_repository_names_exists() -> None:
    """Docs, examples, the container and CI name only variables something reads (or, in the
    changelog, a setting's name before it was renamed)."""
    named: dict[str, set[str]] = {}
    # This file misspells names on purpose.
    for path in set(repository_files()) - {Path(__file__).resolve()}:
        text = path.read_bytes().decode(errors="replace")
        for name in NAME.findall(text):
            named.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert "WORKCLOUD_DATABASE_URL" in named
    unknown = {
        name: sorted(where)
        for name, where in named.items()
        if name not in SETTINGS
        and not is_allowed_elsewhere(name)
        and not (where == {"CHANGELOG.md"} and name.removeprefix("WORKCLOUD_").lower() in RENAMED)
    }
    assert not unknown, unknown


def test_the_container_sets_only_settings() -> None:
    for file in ("Dockerfile", "compose.yaml"):
        names = set(NAME.findall((ROOT / file).read_text()))
        assert names, file
        assert names <= SETTINGS, (file, names - SETTINGS)


def test_a_renamed_setting_names_its_new_name(tmp_path: Path) -> None:
    done = workcloud(tmp_path, "schema", WORKCLOUD_TABLE_VIEW_FAST_PATH="false")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "WORKCLOUD_TABLE_VIEW_FAST_PATH: no such setting; did you mean WORKCLOUD_PLANNED_READS?"
    ]
