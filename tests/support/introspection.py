"""The schema as introspection sees it, for tests that must cover every type and field."""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import introspection_from_schema

from graph.schema import build_schema


@cache
def introspected() -> dict[str, Any]:
    """The standard introspection result of the served schema (whatever the settings)."""
    result: dict[str, Any] = dict(introspection_from_schema(build_schema()._schema))
    return result


def schema_types() -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in introspected()["__schema"]["types"]}
