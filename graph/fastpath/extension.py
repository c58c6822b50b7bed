"""Answers the table view without graphql-core's per-field execution, when it safely can.

Runs after parsing, validation, the abuse limits and the root-field access check, inside
the operation's scope, so it sees exactly what normal execution would. When the operation
is a query whose only root field is `cases` and every selected field is one the renderer
supports, it sets the result and normal execution is skipped. Otherwise, or when the
renderer finds a value it cannot render as normal execution would (`Unsupported`), it
leaves the result unset and normal execution runs. An error while answering is the `cases`
field's error, reported exactly as normal execution reports its resolver's (the client's
own errors as they are; our faults logged and masked). A document that fails to compile
for any other reason than `Unsupported` is logged as a warning and executed normally.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    located_error,
)
from graphql.execution import Executor, get_argument_values
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from graph.fastpath.cases import cases_page
from graph.fastpath.render import PagePlan
from graph.fastpath.selection import Field, Kind, Unsupported, select
from graph.library_internals import (
    field_nodes,
    graphql_schema,
    resolver_arguments,
    root_fields,
    strawberry_field,
    subfields,
)

log = logging.getLogger("workcloud.fastpath")

_PLANS_MAX = 256
# Per schema, compiled selections by (query text, operation name); None: "not for the fast
# path". Only documents whose selection cannot depend on variables (no directives) are kept.
_plans: WeakKeyDictionary[GraphQLSchema, OrderedDict[tuple[str, str | None], _Plan | None]] = (
    WeakKeyDictionary()
)


class _Plan:
    def __init__(
        self, key: str, field: Field, graphql_field: GraphQLField, nodes: list[FieldNode]
    ) -> None:
        self.key = key
        self.field = field
        self.graphql_field = graphql_field
        # Arguments are read from the first; an error is located at all of them. The same
        # text always parses to the same nodes.
        self.nodes = nodes
        self.page = PagePlan(field)


def _compile(executor: Executor[Any], query_type: GraphQLObjectType) -> _Plan | None:
    grouped = root_fields(executor, query_type)
    if len(grouped) != 1:
        return None
    key, details = next(iter(grouped.items()))
    nodes = field_nodes(details)
    if nodes[0].name.value != "cases":
        return None
    graphql_field = query_type.fields["cases"]
    connection_type = graphql_field.type.of_type
    try:
        children = select(executor, connection_type, subfields(executor, connection_type, details))
        definition = strawberry_field(graphql_field)
        if definition is None:
            raise Unsupported("Query.cases is not a Strawberry field")
        field = Field(
            key, "cases", Kind.RESOLVED, graphql_field.type, definition, children, query_type.name
        )
        return _Plan(key, field, graphql_field, nodes)
    except Unsupported as reason:
        log.debug("table view not on the fast path: %s", reason)
        return None


def _has_directives(query: str) -> bool:
    return "@" in query


def _plan(executor: Executor[Any], query: str, operation_name: str | None) -> _Plan | None:
    query_type = executor.schema.query_type
    assert query_type is not None
    if _has_directives(query):
        return _compile(executor, query_type)
    plans = _plans.setdefault(executor.schema, OrderedDict())
    cache_key = (query, operation_name)
    if cache_key in plans:
        plans.move_to_end(cache_key)
        return plans[cache_key]
    plan = plans[cache_key] = _compile(executor, query_type)
    if len(plans) > _PLANS_MAX:
        plans.popitem(last=False)
    return plan


def _planned(execution: ExecutionContext) -> tuple[_Plan, Executor[Any]] | None:
    """The compiled selection and the operation's variables, or None: not for the fast path."""
    document = execution.graphql_document
    if document is None or execution.query is None:
        return None
    built = Executor.build(
        graphql_schema(execution.schema),
        document,
        context_value=execution.context,
        raw_variable_values=execution.variables,
        operation_name=execution.operation_name,
    )
    if isinstance(built, list):  # variables normal execution refuses, and reports
        return None
    plan = _plan(built, execution.query, execution.operation_name)
    return None if plan is None else (plan, built)


async def _answer(execution: ExecutionContext) -> ExecutionResult | None:
    """The result of the operation, or None: normal execution answers."""
    try:
        planned = _planned(execution)
    except Exception:
        log.warning("table view fast path could not compile a document", exc_info=True)
        return None
    if planned is None:
        return None
    plan, executor = planned
    definition = plan.field.definition
    assert definition is not None
    try:
        values = get_argument_values(plan.graphql_field, plan.nodes[0], executor.variable_values)
        arguments = resolver_arguments(execution.schema, definition, values)
        page = await cases_page(execution.context, arguments, plan.page)
    except Unsupported as reason:
        log.debug("table view fast path gave way: %s", reason)
        return None
    except Exception as error:
        # As graphql-core reports an error of the field's resolver; `cases` is non-null,
        # so `data` is null. Masking and logging then treat it as any other.
        return ExecutionResult(data=None, errors=[located_error(error, plan.nodes, [plan.key])])
    return ExecutionResult(data={plan.key: page}, errors=None)


class TableViewFastPath(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        if execution.result is None and execution.operation_type is OperationType.QUERY:
            execution.result = await _answer(execution)
        yield
