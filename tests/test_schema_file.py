"""The checked-in schema.graphql is exactly what the code generates."""

from __future__ import annotations

from pathlib import Path

from strawberry.printer import print_schema

from graph.schema import build_schema


def test_schema_graphql_matches_the_code(repo_root: Path) -> None:
    generated = print_schema(build_schema()) + "\n"
    checked_in = (repo_root / "schema.graphql").read_text()
    assert checked_in == generated, "schema.graphql drifted: run `./dev schema > schema.graphql`"
