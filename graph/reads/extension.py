"""Answers queries from read plans, without graphql-core's per-field execution, when it can.

Runs after parsing, validation, the abuse limits and the root-field access check, inside
the operation's scope, so it sees exactly what normal execution would. When the operation
is a query whose every root field has a plan (`roots.py`) and every selected field is one
a plan reads from rows (`rows.py`), it sets the result and normal execution is skipped.
Otherwise normal execution runs, and so it does when a plan gives way while answering: a
value it cannot render as normal execution would (`Unsupported`), or an error that is the
client's (a bad cursor, a viewer the resolver refuses, a tab turned off), which normal
execution then reports exactly as it always does. Any other error while answering is that
root field's error, reported as normal execution reports its resolver's (logged and masked).
A document that fails to compile for any other reason than `Unsupported` is logged as a
warning and executed normally.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    located_error,
)
from graphql.execution import Executor
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from domain.errors import DomainError
from graph.library_internals import field_nodes, graphql_schema, root_fields
from graph.reads.roots import NODE_TYPES, NodeRoot, Request, Root, root
from graph.reads.selection import Field, Kind, Unsupported, by_type, field_of

log = logging.getLogger("workcloud.reads")

_PLANS_MAX = 256
# Per schema, compiled plans by (query text, operation name); None: "not planned". Only
# documents whose selection cannot depend on variables (no directives) are kept.
_plans: WeakKeyDictionary[GraphQLSchema, OrderedDict[tuple[str, str | None], _Plan | None]] = (
    WeakKeyDictionary()
)


class _Plan:
    """A compiled operation: its root fields by response key, each with its plan (None:
    `__typename`), and the keys of those normal execution answers (`normal`)."""

    def __init__(
        self,
        roots: list[tuple[Field, Root | None]],
        normal: list[str],
        order: list[str],
        operation: OperationDefinitionNode,
    ) -> None:
        self.roots = roots
        self.normal = normal
        self.order = order
        self.operation = operation


def _key(selection: SelectionNode) -> str | None:
    if not isinstance(selection, FieldNode):
        return None
    return (selection.alias or selection.name).value


def _compile(executor: Executor[Any], query_type: GraphQLObjectType) -> _Plan | None:
    grouped = root_fields(executor, query_type)
    operation = executor.operation
    # Root fields a plan cannot answer are left to normal execution, alone, when every root
    # selection is a field (not a fragment), so that they can be told apart by key.
    in_part = all(_key(s) is not None for s in operation.selection_set.selections)
    roots: list[tuple[Field, Root | None]] = []
    normal: list[str] = []
    for key, details in grouped.items():
        try:
            if field_nodes(details)[0].name.value == "node":
                field = field_of(executor, query_type, key, details, abstract=True)
                roots.append((field, NodeRoot(field, by_type(executor, NODE_TYPES, details))))
                continue
            field = field_of(executor, query_type, key, details)
            roots.append((field, None if field.kind is Kind.TYPENAME else root(field)))
        except Unsupported as reason:
            log.debug("not planned: %s", reason)
            if not in_part:
                return None
            normal.append(key)
    if not roots:
        return None
    return _Plan(roots, normal, list(grouped), operation)


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
    """The compiled plan and the operation's variables, or None: not planned."""
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


@dataclass
class _Answer:
    """What the plans answered: the whole result, or (`normal`) all but these root keys,
    which normal execution answers from `document`."""

    result: ExecutionResult
    normal: list[str]
    order: list[str]
    document: DocumentNode | None = None


async def _answer(execution: ExecutionContext) -> _Answer | None:
    """The plans' answer to the operation, or None: normal execution answers all of it."""
    try:
        planned = _planned(execution)
    except Exception:
        log.warning("a read plan could not be compiled", exc_info=True)
        return None
    if planned is None:
        return None
    plan, executor = planned
    request = Request(execution.context, execution.schema, executor.variable_values)
    data: dict[str, Any] = {}
    errors: list[GraphQLError] = []
    for field, planned_root in plan.roots:
        if planned_root is None:
            data[field.key] = field.parent_name
            continue
        try:
            data[field.key] = await planned_root.answer(request)
        except (Unsupported, GraphQLError, DomainError) as reason:
            log.debug("a read plan gave way: %s", reason)
            return None
        except Exception as error:
            if plan.normal:
                log.debug("a read plan failed; normal execution answers", exc_info=True)
                return None
            # As graphql-core reports an error of the field's resolver: null in its place, and
            # for a non-null field, `data` null. Masking and logging then treat it as any other.
            errors.append(located_error(error, list(field.nodes), [field.key]))
            data[field.key] = None
    if any(data[f.key] is None and isinstance(f.type, GraphQLNonNull) for f, _ in plan.roots):
        return _Answer(ExecutionResult(data=None, errors=errors), [], plan.order)
    result = ExecutionResult(data=data, errors=errors or None)
    if not plan.normal:
        return _Answer(result, [], plan.order)
    document = execution.graphql_document
    assert document is not None
    log.debug("answered in part; normal execution answers %s", plan.normal)
    return _Answer(result, plan.normal, plan.order, _only(document, plan.operation, plan.normal))


def _only(
    document: DocumentNode, operation: OperationDefinitionNode, keys: list[str]
) -> DocumentNode:
    """`document` with the operation's root selection reduced to the fields of `keys`."""
    kept = tuple(s for s in operation.selection_set.selections if _key(s) in keys)
    reduced = OperationDefinitionNode(
        **{k: getattr(operation, k) for k in operation.keys if k != "selection_set"},
        selection_set=SelectionSetNode(selections=kept),
    )
    return DocumentNode(
        definitions=tuple(reduced if d is operation else d for d in document.definitions)
    )


def _merge(answer: _Answer, normal: ExecutionResult) -> None:
    """Puts the plans' answers into normal execution's result (the object Strawberry returns),
    the root keys in the document's order."""
    if normal.data is None:
        return
    planned = answer.result.data or {}
    found = normal.data
    normal.data = {
        key: planned[key] if key in planned else found[key]
        for key in answer.order
        if key in planned or key in found
    }


class PlannedReads(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        if execution.result is not None or execution.operation_type is not OperationType.QUERY:
            yield
            return
        answer = await _answer(execution)
        if answer is None:
            yield
            return
        if answer.document is None:
            execution.result = answer.result
            yield
            return
        # Normal execution answers the root fields the plans could not, alone.
        whole = execution.graphql_document
        execution.graphql_document = answer.document
        try:
            yield
        finally:
            execution.graphql_document = whole
        if isinstance(execution.result, ExecutionResult):
            _merge(answer, execution.result)
