"""A validated document's selection, as a tree of fields the renderer can produce directly.

Fields are collected exactly as graphql-core collects them (aliases, fragments, inline
fragments, @skip/@include with the request's variables), so response keys come out in the
same order and merged the same way. Anything the renderer cannot produce byte for byte
like normal execution makes the whole selection `Unsupported`: fields with arguments or
extensions, abstract types, @defer/@stream, introspection. Which resolved fields can be read
from rows is the renderer's to say (see `rows.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from graphql import (
    GraphQLObjectType,
    GraphQLOutputType,
    get_named_type,
    is_leaf_type,
    is_object_type,
)
from graphql.execution import Executor
from strawberry.types.field import StrawberryField

from graph.library_internals import (
    FieldDetailsList,
    GroupedFieldSet,
    delivered_incrementally,
    field_nodes,
    strawberry_field,
    subfields,
)


class Unsupported(Exception):
    """This selection (or this request) must go through normal execution."""


class Kind(Enum):
    TYPENAME = "typename"
    BASIC = "basic"  # a plain attribute: Strawberry's default resolver
    RESOLVED = "resolved"  # a field with a resolver of its own


@dataclass(frozen=True)
class Field:
    key: str  # the response key: alias or name
    name: str  # the GraphQL field name
    kind: Kind
    type: GraphQLOutputType
    definition: StrawberryField | None
    children: tuple[Field, ...] = ()
    parent_name: str = ""


def select(
    executor: Executor[Any],
    parent: GraphQLObjectType,
    grouped: GroupedFieldSet,
) -> tuple[Field, ...]:
    """The fields of `grouped` on `parent`."""
    return tuple(_field(executor, parent, key, details) for key, details in grouped.items())


def _field(
    executor: Executor[Any],
    parent: GraphQLObjectType,
    key: str,
    details: FieldDetailsList,
) -> Field:
    if delivered_incrementally(details):
        raise Unsupported("incremental delivery or fragment variables")
    name = field_nodes(details)[0].name.value
    if name == "__typename":
        return Field(key, name, Kind.TYPENAME, parent, None, parent_name=parent.name)
    graphql_field = parent.fields.get(name)
    if graphql_field is None or name.startswith("__"):
        raise Unsupported(f"{parent.name}.{name}")
    definition = strawberry_field(graphql_field)
    if definition is None:
        raise Unsupported(f"{parent.name}.{name} is not a Strawberry field")
    if graphql_field.args or definition.extensions or definition.permission_classes:
        raise Unsupported(f"{parent.name}.{name} takes arguments or has extensions")
    kind = Kind.BASIC if definition.is_basic_field else Kind.RESOLVED
    named = get_named_type(graphql_field.type)
    children: tuple[Field, ...] = ()
    if is_object_type(named):
        assert isinstance(named, GraphQLObjectType)
        children = select(executor, named, subfields(executor, named, details))
    elif not is_leaf_type(named):
        raise Unsupported(f"{parent.name}.{name} is abstract")
    return Field(key, name, kind, graphql_field.type, definition, children, parent.name)
