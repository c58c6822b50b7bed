"""Every use of Strawberry's and graphql-core's internals, in one place.

Neither library offers what is here as public API, so any release may change it:
pyproject.toml bounds both to the minor series this was written against, and
tests/test_library_internals.py fails when either changes what is relied on here. Nothing
outside this module imports from the libraries' internal modules or reads their private
attributes.
"""

from __future__ import annotations

from typing import Any

import strawberry
from cross_web import HTTPException
from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    OverlappingFieldsCanBeMergedRule,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet, collect_fields
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types import ExecutionContext
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField
from strawberry.types.unset import UnsetType
from strawberry.utils.logging import StrawberryLogger

__all__ = [
    "STRAWBERRY_VALIDATION_RULES",
    "FieldDetailsList",
    "GroupedFieldSet",
    "StrawberryExecutionContext",
    "UnsetType",
    "delivered_incrementally",
    "field_nodes",
    "graphql_schema",
    "is_operation_type_refusal",
    "limit_overlap_comparisons",
    "log_fault",
    "resolver_arguments",
    "root_fields",
    "strawberry_field",
    "subfields",
]

# The execution context Strawberry runs operations with, to be extended (not replaced).
StrawberryExecutionContext = StrawberryGraphQLCoreExecutionContext

# Strawberry's own rules, which its validation adds to every request's rules. Strawberry
# skips its validation when an extension has set `pre_execution_errors` in `on_validate`;
# such an extension must run these too.
STRAWBERRY_VALIDATION_RULES = (MaybeNullValidationRule, OneOfInputValidationRule)

# Where Strawberry keeps, in a graphql-core field's extensions, the field it was made from.
_DEFINITION = "strawberry-definition"


def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema Strawberry built (Strawberry has no public accessor)."""
    built: GraphQLSchema = schema._schema
    return built


def limit_overlap_comparisons(rule: OverlappingFieldsCanBeMergedRule, budget: int) -> None:
    """Lets `rule` compare same-named fields and fragments only `budget` times before it
    aborts validation ("Validation aborted."), for this document only."""
    rule.rule_context.remaining_complexity_budget = budget


def log_fault(error: GraphQLError, execution_context: ExecutionContext | None) -> None:
    """Logs `error` with its traceback as Strawberry's own `process_errors` does."""
    StrawberryLogger.error(error, execution_context)


def is_operation_type_refusal(error: HTTPException) -> bool:
    """Whether Strawberry's view raised `error` because the operation's type may not run
    over this request (a mutation sent with GET)."""
    return isinstance(error.__cause__, InvalidOperationTypeError)


def strawberry_field(field: GraphQLField) -> StrawberryField | None:
    """The Strawberry field a graphql-core field was made from, if it was."""
    definition = (field.extensions or {}).get(_DEFINITION)
    return definition if isinstance(definition, StrawberryField) else None


def resolver_arguments(
    schema: strawberry.Schema, field: StrawberryField, values: dict[str, Any]
) -> dict[str, Any]:
    """What Strawberry passes `field`'s resolver for graphql-core's argument `values`:
    converted to the arguments' Python types, by Python name, defaults included."""
    converted = convert_arguments(
        values,
        field.arguments,
        scalar_registry=schema.schema_converter.scalar_registry,
        config=schema.config,
    )
    defaults = {
        a.python_name: a.default for a in field.arguments if a.default is not strawberry.UNSET
    }
    return {**defaults, **converted}


def root_fields(executor: Executor[Any], root_type: GraphQLObjectType) -> GroupedFieldSet:
    """The operation's root selection, by response key, as graphql-core collects it."""
    return collect_fields(
        executor.schema,
        executor.fragments,
        executor.variable_values,
        root_type,
        executor.operation,
    ).grouped_field_set


def subfields(
    executor: Executor[Any], parent: GraphQLObjectType, details: FieldDetailsList
) -> GroupedFieldSet:
    """The selection under the fields of `details` on `parent`, by response key."""
    return executor.collect_subfields(parent, details).grouped_field_set


def field_nodes(details: FieldDetailsList) -> list[FieldNode]:
    """The document's nodes of one response key (more than one when fields were merged)."""
    return [d.node for d in details]


def delivered_incrementally(details: FieldDetailsList) -> bool:
    """Whether any of these is under @defer or in a fragment with variables of its own."""
    return any(d.defer_usage is not None or d.fragment_variable_values for d in details)
