"""Renders Strawberry objects along a compiled selection, straight into response dicts.

Does what graphql-core's executor does for these fields, minus its per-field machinery:
a plain attribute through Strawberry's default resolver, a known resolver called with an
`info` that carries the context, leaves through the schema's own `serialize`. Where normal
execution would report an error (a null in a non-null position, a resolver raising), the
renderer gives up and normal execution answers instead.

Below the connection's own fields everything is already loaded (see `cases.py`), so the
rows render synchronously: a resolver's coroutine is run to its end on the spot, and one
that would have to wait (something not primed) sends the request to normal execution.
"""

from __future__ import annotations

import asyncio
from types import CoroutineType
from typing import Any

from graphql import GraphQLLeafType, GraphQLList, GraphQLNonNull, GraphQLOutputType

from graph.fastpath.selection import Field, Kind, Unsupported


class ResolverInfo:
    """What a known-safe resolver reads from `info`: the context, and nothing else."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


async def render_root(source: Any, field: Field, info: ResolverInfo) -> Any:
    """`field`'s value on `source`, waiting where its own fields need to (e.g. `totalCount`)."""
    out: dict[str, Any] = {}
    for child in field.children:
        if child.kind is Kind.RESOLVED:
            value = _call(child, source, info)
            if isinstance(value, (CoroutineType, asyncio.Future)):
                value = await value
            out[child.key] = complete(value, child.type, child, info)
        else:
            out[child.key] = _value(child, source, info)
    return out


def render(source: Any, fields: tuple[Field, ...], info: ResolverInfo) -> dict[str, Any]:
    return {field.key: _value(field, source, info) for field in fields}


def _value(field: Field, source: Any, info: ResolverInfo) -> Any:
    kind = field.kind
    if kind is Kind.TYPENAME:
        return field.parent_name
    if kind is Kind.BASIC:
        value = field.definition.get_result(source, None, [], {})  # type: ignore[union-attr]
    else:
        value = _now(_call(field, source, info))
    return complete(value, field.type, field, info)


def _call(field: Field, source: Any, info: ResolverInfo) -> Any:
    resolver = field.definition.base_resolver  # type: ignore[union-attr]
    assert resolver is not None, "only fields with resolvers are RESOLVED"
    args = [source] if resolver.self_parameter is not None else []
    kwargs = {resolver.info_parameter.name: info} if resolver.info_parameter is not None else {}
    return resolver(*args, **kwargs)


def _now(value: Any) -> Any:
    """The result of a resolver that has everything it needs already loaded."""
    if isinstance(value, CoroutineType):
        try:
            value.send(None)
        except StopIteration as finished:
            return finished.value
        value.close()
        raise Unsupported("a resolver had to wait for something not loaded up front")
    if isinstance(value, asyncio.Future):
        if value.done():
            return value.result()
        raise Unsupported("a resolver had to wait for something not loaded up front")
    return value


def complete(value: Any, type_: GraphQLOutputType, field: Field, info: ResolverInfo) -> Any:
    if isinstance(type_, GraphQLNonNull):
        completed = complete(value, type_.of_type, field, info)
        if completed is None:
            raise Unsupported(f"null for non-null {field.parent_name}.{field.name}")
        return completed
    if value is None:
        return None
    if isinstance(type_, GraphQLList):
        item_type = type_.of_type
        return [complete(item, item_type, field, info) for item in value]
    if isinstance(type_, GraphQLLeafType):
        serialized = type_.serialize(value)
        if serialized is None:
            raise Unsupported(f"{field.parent_name}.{field.name} did not serialize")
        return serialized
    return render(value, field.children, info)
