"""Renders Strawberry objects along a compiled selection, straight into response dicts.

Does what graphql-core's executor does for these fields, minus its per-field machinery:
a plain attribute through Strawberry's default resolver, a known resolver called with an
`info` that carries the context, leaves through the schema's own `serialize`. Where normal
execution would report an error (a null in a non-null position, a resolver raising), the
renderer gives up and normal execution answers instead.
"""

from __future__ import annotations

import inspect
from typing import Any

from graphql import GraphQLLeafType, GraphQLList, GraphQLNonNull, GraphQLOutputType

from graph.fastpath.selection import Field, Kind, Unsupported


class ResolverInfo:
    """What a known-safe resolver reads from `info`: the context, and nothing else."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


async def render(source: Any, fields: tuple[Field, ...], info: ResolverInfo) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in fields:
        if field.kind is Kind.TYPENAME:
            out[field.key] = field.parent_name
            continue
        definition = field.definition
        assert definition is not None
        if field.kind is Kind.BASIC:
            value = definition.get_result(source, None, [], {})
        else:
            value = _call(definition, source, info)
        if inspect.isawaitable(value):
            value = await value
        out[field.key] = await complete(value, field.type, field, info)
    return out


def _call(definition: Any, source: Any, info: ResolverInfo) -> Any:
    resolver = definition.base_resolver
    args = [source] if resolver.self_parameter is not None else []
    kwargs = {resolver.info_parameter.name: info} if resolver.info_parameter is not None else {}
    if len(resolver.arguments) or resolver.root_parameter is not None:
        raise Unsupported("resolver with arguments")
    return resolver(*args, **kwargs)


async def complete(value: Any, type_: GraphQLOutputType, field: Field, info: ResolverInfo) -> Any:
    if isinstance(type_, GraphQLNonNull):
        completed = await complete(value, type_.of_type, field, info)
        if completed is None:
            raise Unsupported(f"null for non-null {field.parent_name}.{field.name}")
        return completed
    if value is None:
        return None
    if isinstance(type_, GraphQLList):
        item_type = type_.of_type
        return [await complete(item, item_type, field, info) for item in value]
    if isinstance(type_, GraphQLLeafType):
        serialized = type_.serialize(value)
        if serialized is None:
            raise Unsupported(f"{field.parent_name}.{field.name} did not serialize")
        return serialized
    return await render(value, field.children, info)
