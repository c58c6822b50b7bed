"""What start-up refuses in the environment and `.env`: a `WORKCLOUD_*` name that is no
setting (a misspelt one would otherwise be ignored, and its default used without a word),
and a value a setting does not take; each told in one line naming the variable."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from dotenv import dotenv_values
from pydantic import ValidationError

PREFIX = "WORKCLOUD_"
# WORKCLOUD_* names that are not settings but may be set where the server starts: the
# test suite's (tests/), the benchmarks' (bench/), and the example client's, which docs/
# clients.md runs from a shell that may also start the server (examples/ts/src/main.ts).
NOT_SETTINGS_PREFIXES = ("WORKCLOUD_TEST_", "WORKCLOUD_BENCH_")
NOT_SETTINGS = frozenset(
    {
        "WORKCLOUD_REQUIRE_SERVICES",
        "WORKCLOUD_FUZZ_RANDOM",
        "WORKCLOUD_URL",
        "WORKCLOUD_EMAIL",
        "WORKCLOUD_PASSWORD",
        "WORKCLOUD_COMMENT",
        "WORKCLOUD_FOLLOW",
    }
)


class SettingsRefused(Exception):
    """The environment's problems; `str()` gives them one a line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def variable(field: str) -> str:
    return PREFIX + field.upper()


def is_allowed_elsewhere(name: str) -> bool:
    """Whether a WORKCLOUD_* name that is no setting belongs to the tests, benchmarks or
    example client."""
    return name in NOT_SETTINGS or name.startswith(NOT_SETTINGS_PREFIXES)


def env_file_names(path: Path) -> list[str]:
    return list(dotenv_values(path)) if path.is_file() else []


# Settings that were renamed: the old name, without the prefix, and the new one.
RENAMED = {"table_view_fast_path": "planned_reads"}


def unknown_names(names: Iterable[str], fields: Iterable[str]) -> list[str]:
    """A line for each WORKCLOUD_* name that is neither a setting nor allowed elsewhere,
    suggesting the setting it is closest to."""
    known = sorted(fields)
    problems = []
    # Names are matched as pydantic-settings reads them: case-insensitively.
    for name in sorted({name.upper() for name in names if name.upper().startswith(PREFIX)}):
        field = name.removeprefix(PREFIX).lower()
        if field in known or is_allowed_elsewhere(name):
            continue
        # Compared without the prefix, which every name shares and would make any two close.
        close = (
            [RENAMED[field]] if field in RENAMED else difflib.get_close_matches(field, known, n=1)
        )
        hint = (
            f"; did you mean {variable(close[0])}?" if close else " (config/settings.py lists them)"
        )
        problems.append(f"{name}: no such setting{hint}")
    return problems


def value_problems(error: ValidationError) -> list[str]:
    """A line for each variable with a value its setting does not take, saying what it takes.
    The value itself is not repeated: some settings are secrets."""
    messages: dict[str, list[str]] = {}
    for problem in error.errors(include_url=False):
        name = variable(str(problem["loc"][0])) if problem["loc"] else "settings"
        if problem["type"] == "too_short":
            # Pydantic counts a secret's length in "items".
            message = f"expected at least {problem.get('ctx', {}).get('min_length')} characters"
        else:
            message = problem["msg"].removeprefix("Value error, ")
        messages.setdefault(name, []).append(message[:1].lower() + message[1:])
    return [f"{name}: {'; '.join(said)}" for name, said in messages.items()]
