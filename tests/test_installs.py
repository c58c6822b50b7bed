"""Installs are reproducible: uv.lock matches pyproject.toml, every install uses the same uv,
and the package carries its licence and its type information."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGES = sorted(
    name.rstrip("*") for name in PROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
)


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


def test_the_licence_is_the_one_pyproject_names() -> None:
    assert PROJECT["project"]["license"] == "MIT"
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License\n")
    assert re.search(r"^Copyright \(c\) \d{4} WorkCloud Cases contributors$", licence, re.M)


def test_the_wheel_ships_the_licence_and_every_packages_py_typed(tmp_path: Path) -> None:
    # Through the sdist, as an index would have it; and building nothing in the checkout.
    subprocess.run(
        [uv(), "build", "--quiet", "--out-dir", str(tmp_path), str(ROOT)],
        capture_output=True,
        timeout=300,
        check=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"{package}/py.typed" for package in PACKAGES} <= names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
