"""Answers the table view without graphql-core's per-field execution, when it safely can.

Runs after parsing, validation, the abuse limits and the root-field access check, inside
the operation's scope, so it sees exactly what normal execution would. When the operation
is a query whose only root field is `cases` and every selected field is one the renderer
supports, it sets the result and normal execution is skipped; otherwise, or on any error,
it leaves the result unset and normal execution runs (and reports any error itself).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any
from weakref import WeakKeyDictionary

from graphql import ExecutionResult, FieldNode, GraphQLObjectType, GraphQLSchema
from graphql.execution import Executor, get_argument_values
from strawberry.extensions import SchemaExtension
from strawberry.types.field import StrawberryField
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
    def __init__(self, key: str, field: Field, graphql_field: Any, node: FieldNode) -> None:
        self.key = key
        self.field = field
        self.graphql_field = graphql_field
        # Arguments are read from it; the same text always parses to the same arguments.
        self.node = node
        self.page = PagePlan(field)


def _compile(executor: Executor[Any], query_type: GraphQLObjectType) -> _Plan | None:
    grouped = root_fields(executor, query_type)
    if len(grouped) != 1:
        return None
    key, details = next(iter(grouped.items()))
    node = field_nodes(details)[0]
    if node.name.value != "cases":
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
        return _Plan(key, field, graphql_field, node)
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


def _arguments(plan: _Plan, executor: Executor[Any], schema: Any) -> dict[str, Any]:
    definition: StrawberryField = plan.field.definition  # type: ignore[assignment]
    raw = get_argument_values(plan.graphql_field, plan.node, executor.variable_values)
    return resolver_arguments(schema, definition, raw)


class TableViewFastPath(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        if execution.result is None and execution.operation_type is OperationType.QUERY:
            try:
                execution.result = await self._answer()
            except Exception as error:
                log.debug("table view fast path gave way: %r", error, exc_info=True)
                execution.result = None
        yield

    async def _answer(self) -> ExecutionResult | None:
        execution = self.execution_context
        schema = execution.schema
        document = execution.graphql_document
        if document is None or execution.query is None:
            return None
        built = Executor.build(
            graphql_schema(schema),
            document,
            context_value=execution.context,
            raw_variable_values=execution.variables,
            operation_name=execution.operation_name,
        )
        if isinstance(built, list):
            return None
        plan = _plan(built, execution.query, execution.operation_name)
        if plan is None:
            return None
        arguments = _arguments(plan, built, schema)
        data = {plan.key: await cases_page(execution.context, arguments, plan.page)}
        return ExecutionResult(data=data, errors=None)
