"""Installs are reproducible: uv.lock matches pyproject.toml, and every install uses the
same uv."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def uv() -> str:
    found = Path(sys.executable).with_name("uv")
    if found.is_file():
        return str(found)
    on_path = shutil.which("uv")
    if on_path is None:
        pytest.skip("UV IS NOT INSTALLED, THE LOCK IS NOT CHECKED: it comes with the dev extra")
    return on_path


def pinned_uv(text: str) -> str:
    match = re.search(r"uv==([0-9.]+)", text)
    assert match is not None
    return match[1]


def test_the_lock_matches_pyproject() -> None:
    checked = subprocess.run(
        [uv(), "lock", "--check", "--offline"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, f"run `uv lock`: {checked.stdout}{checked.stderr}"


def test_the_lock_holds_every_extra() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    project = next(p for p in lock["package"] if p["name"] == PROJECT["project"]["name"])
    assert set(project["optional-dependencies"]) == set(PROJECT["project"]["optional-dependencies"])


def test_dev_and_the_image_install_with_the_uv_the_dev_extra_pins() -> None:
    dev_extra = " ".join(PROJECT["project"]["optional-dependencies"]["dev"])
    version = pinned_uv(dev_extra)
    assert pinned_uv((ROOT / "Dockerfile").read_text()) == version
    script = (ROOT / "dev").read_text()
    assert "sync --quiet --frozen" in script
    assert "grep -o 'uv==[0-9.]*' pyproject.toml" in script
