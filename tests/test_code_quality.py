"""Lint, format and types are part of the test suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(repo_root: Path, *command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *command], cwd=repo_root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "command",
    [("ruff", "format", "--check", "."), ("ruff", "check", "."), ("mypy",)],
    ids=["ruff-format", "ruff-lint", "mypy"],
)
def test_code_is_clean(repo_root: Path, command: tuple[str, ...]) -> None:
    run(repo_root, *command)
