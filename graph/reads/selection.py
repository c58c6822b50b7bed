"""A validated document's selection, as a tree of fields a read plan can produce directly.

Fields are collected exactly as graphql-core collects them (aliases, fragments, inline
fragments, @skip/@include with the request's variables), so response keys come out in the
same order and merged the same way. Anything a plan cannot produce byte for byte like normal
execution makes the whole selection `Unsupported`: fields with extensions or permission
classes, abstract types, @defer/@stream, introspection. A field's arguments are kept as its
nodes, and read for each request (`Field.arguments`): which fields may take them, and which
resolved fields can be read from rows, is the plan's to say (see `rows.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    get_named_type,
    is_leaf_type,
    is_object_type,
)
from graphql.execution import Executor, get_argument_values
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
    graphql_field: GraphQLField | None = None
    # Where the field appears in the document: its arguments are read from the first.
    nodes: tuple[FieldNode, ...] = ()

    def arguments(self, variables: Any) -> dict[str, Any]:
        """The field's arguments for this request, by their GraphQL names, defaults applied."""
        if self.graphql_field is None or not self.graphql_field.args:
            return {}
        return get_argument_values(self.graphql_field, self.nodes[0], variables)


def select(
    executor: Executor[Any],
    parent: GraphQLObjectType,
    grouped: GroupedFieldSet,
) -> tuple[Field, ...]:
    """The fields of `grouped` on `parent`."""
    return tuple(field_of(executor, parent, key, details) for key, details in grouped.items())


def field_of(
    executor: Executor[Any],
    parent: GraphQLObjectType,
    key: str,
    details: FieldDetailsList,
    *,
    abstract: bool = False,
) -> Field:
    """One field; with `abstract`, a field of an abstract type is taken without its
    selection (which depends on the object's type: see `by_type`)."""
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
    if definition.extensions or definition.permission_classes:
        raise Unsupported(f"{parent.name}.{name} has extensions")
    kind = Kind.BASIC if definition.is_basic_field else Kind.RESOLVED
    named = get_named_type(graphql_field.type)
    children: tuple[Field, ...] = ()
    if is_object_type(named):
        assert isinstance(named, GraphQLObjectType)
        children = select(executor, named, subfields(executor, named, details))
    elif not is_leaf_type(named) and not abstract:
        raise Unsupported(f"{parent.name}.{name} is abstract")
    return Field(
        key,
        name,
        kind,
        graphql_field.type,
        definition,
        children,
        parent.name,
        graphql_field,
        tuple(field_nodes(details)),
    )


def by_type(
    executor: Executor[Any], type_names: list[str], details: FieldDetailsList
) -> dict[str, tuple[Field, ...]]:
    """The selection of an abstract field for each of these object types that can be planned."""
    selections = {}
    for name in type_names:
        type_ = executor.schema.get_type(name)
        if not isinstance(type_, GraphQLObjectType):
            continue
        try:
            selections[name] = select(executor, type_, subfields(executor, type_, details))
        except Unsupported:
            continue
    return selections
