"""Renders Strawberry objects along a compiled selection, straight into response dicts.

Does what graphql-core's executor does for these fields, minus its per-field machinery:
a plain attribute through Strawberry's default resolver, a known resolver called with an
`info` that carries the context, leaves through the schema's own `serialize`. Where normal
execution would report an error (a null in a non-null position, a resolver raising), the
renderer gives up and normal execution answers instead.

Each field is turned, once per compiled document, into a closure that knows its type's
shape, so rendering a row is a few calls per value rather than a walk over types. Below
the connection's own fields everything is already loaded (see `cases.py`), so rows render
synchronously: a resolver's coroutine runs to its end on the spot, and one that would have
to wait (something not primed) sends the request to normal execution instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Mapping
from types import CoroutineType
from typing import Any

from graphql import GraphQLLeafType, GraphQLList, GraphQLNonNull, GraphQLOutputType

from graph.fastpath.selection import Field, Kind, Unsupported

# (source, info) -> the field's response value
Render = Callable[[Any, "ResolverInfo"], Any]
# (resolved value, info) -> its response value
Complete = Callable[[Any, "ResolverInfo"], Any]


# (the field's source) -> what its rendered value depends on, e.g. a case's status id
MemoKey = Callable[[Any], Hashable]


class ResolverInfo:
    """What a known-safe resolver reads from `info`: the context, and nothing else.

    Also holds, for one request, values already rendered by memoised fields.
    """

    __slots__ = ("context", "rendered")

    def __init__(self, context: Any) -> None:
        self.context = context
        self.rendered: dict[tuple[object, Hashable], Any] = {}


class RootRenderer:
    """Renders the root field's own fields, awaiting where they need to (`totalCount`)."""

    def __init__(self, field: Field, memo: Mapping[tuple[str, str], MemoKey]) -> None:
        self._children = [
            (child, compile_completion(child.type, child, memo), compile_field(child, memo))
            for child in field.children
        ]

    async def render(self, source: Any, info: ResolverInfo) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for child, complete, rendered in self._children:
            if child.kind is Kind.RESOLVED:
                value = _caller(child)(source, info)
                if isinstance(value, (CoroutineType, asyncio.Future)):
                    value = await value
                out[child.key] = complete(value, info)
            else:
                out[child.key] = rendered(source, info)
        return out


def compile_field(field: Field, memo: Mapping[tuple[str, str], MemoKey]) -> Render:
    """`memo` names fields whose value depends only on a key of their source: each distinct
    key is rendered once per request (fifty cases, three statuses: three renderings)."""
    complete = compile_completion(field.type, field, memo)
    if field.kind is Kind.TYPENAME:
        type_name = field.parent_name
        return lambda _source, _info: type_name
    definition = field.definition
    assert definition is not None
    if field.kind is Kind.BASIC:
        # What `StrawberryField.get_result` does for a field without a resolver.
        default_resolver, name = definition.default_resolver, definition.python_name

        def basic(source: Any, info: ResolverInfo) -> Any:
            return complete(default_resolver(source, name), info)

        return basic

    call = _caller(field)
    memo_key = memo.get((field.parent_name, field.name))
    if memo_key is None:

        def resolved(source: Any, info: ResolverInfo) -> Any:
            return complete(_now(call(source, info)), info)

        return resolved
    slot = object()

    def memoised(source: Any, info: ResolverInfo) -> Any:
        key = (slot, memo_key(source))
        if key not in info.rendered:
            info.rendered[key] = complete(_now(call(source, info)), info)
        return info.rendered[key]

    return memoised


def compile_completion(
    type_: GraphQLOutputType, field: Field, memo: Mapping[tuple[str, str], MemoKey]
) -> Complete:
    if isinstance(type_, GraphQLNonNull):
        inner = compile_completion(type_.of_type, field, memo)

        def non_null(value: Any, info: ResolverInfo) -> Any:
            completed = inner(value, info)
            if completed is None:
                raise Unsupported(f"null for non-null {field.parent_name}.{field.name}")
            return completed

        return non_null
    if isinstance(type_, GraphQLList):
        item = compile_completion(type_.of_type, field, memo)

        def listed(value: Any, info: ResolverInfo) -> Any:
            return None if value is None else [item(v, info) for v in value]

        return listed
    if isinstance(type_, GraphQLLeafType):
        serialize = type_.serialize

        def leaf(value: Any, _info: ResolverInfo) -> Any:
            if value is None:
                return None
            serialized = serialize(value)
            if serialized is None:
                raise Unsupported(f"{field.parent_name}.{field.name} did not serialize")
            return serialized

        return leaf
    children = [(child.key, compile_field(child, memo)) for child in field.children]

    def rendered(value: Any, info: ResolverInfo) -> Any:
        if value is None:
            return None
        return {key: render(value, info) for key, render in children}

    return rendered


def _caller(field: Field) -> Callable[[Any, ResolverInfo], Any]:
    """Calls the field's resolver as Strawberry would: with `self` and `info` if it takes them."""
    resolver = field.definition.base_resolver  # type: ignore[union-attr]
    assert resolver is not None, "only fields with resolvers are RESOLVED"
    function: Callable[..., Any] = resolver.wrapped_func  # type: ignore[assignment]
    takes_self = resolver.self_parameter is not None
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None

    def call(source: Any, info: ResolverInfo) -> Any:
        kwargs = {info_name: info} if info_name is not None else {}
        return function(source, **kwargs) if takes_self else function(**kwargs)

    return call


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
