"""Live events' payloads from read plans: a subscription's selection over the event's rows.

A subscription field that yields rows of a planned type (`commentAdded`, `notificationReceived`,
`conversationMessageAdded`) has its selection compiled once per document, as a query's is;
an event's rows are then read again by id, with every relation the selection asks for, in
the statements of a plan (one for the rows and their single relations, one per list or
connection under them, for every row of the event at once), and each payload is rendered
from them. A document the plans cannot answer for this viewer (a field without a plan, a
staff-only field for a portal contact, an error to report) is rendered as before, by
graphql-core (`graph/live/render.py`), which is the reference the tests compare with.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, GraphQLObjectType, get_named_type, parse
from graphql.execution import Executor
from sqlalchemy import Select

from db.prepared import PreparedRead, in_ids
from domain.errors import DomainError
from graph.context import Context
from graph.library_internals import field_nodes, graphql_schema, root_fields
from graph.reads.plan import Columns, Plan, Read, Source, State
from graph.reads.rows import ROW_TYPES
from graph.reads.selection import Field, Unsupported, field_of
from graph.reads.sources import flat, read_nested

log = logging.getLogger("workcloud.reads")

_PLANS_MAX = 256


class LivePlan:
    """A subscription document's one root field over rows of `type_name`."""

    def __init__(
        self,
        field: Field,
        type_name: str,
        document: DocumentNode,
        operation: str | None,
        *,
        portal: bool,
    ) -> None:
        self.field = field
        # What a request's variables are coerced against, for arguments under the root.
        self.document = document
        self.operation = operation
        self.plan = Plan(portal=portal)
        self.source = Source(field, Columns(type_name))
        self.render: Read = self.plan.row(
            type_name, field.children, self.source.columns, (), self.source
        )
        self.id_at = self.source.columns.at((), "id")
        model: Any = ROW_TYPES[type_name].model
        statement: Select[Any] = flat(model, self.source.columns).where(in_ids(model.id, "ids"))
        self.rows = PreparedRead(statement)


# Compiled plans by (document, operation, portal viewer or not, variables when the selection
# depends on them); None: "not planned".
_plans: OrderedDict[tuple[object, ...], LivePlan | None] = OrderedDict()


def live_plan(
    schema: Any,
    query: str,
    variables: dict[str, Any] | None,
    operation: str | None,
    *,
    portal: bool,
) -> LivePlan | None:
    """The plan of a subscription document, or None: graphql-core renders its events."""
    depends = "@" in query
    key = (id(schema), query, operation, portal, orjson.dumps(variables) if depends else None)
    if key in _plans:
        _plans.move_to_end(key)
        return _plans[key]
    plan = _plans[key] = _compile(schema, query, variables, operation, portal)
    if len(_plans) > _PLANS_MAX:
        _plans.popitem(last=False)
    return plan


def _compile(
    schema: Any, query: str, variables: dict[str, Any] | None, operation: str | None, portal: bool
) -> LivePlan | None:
    try:
        document = parse(query)
        built = Executor.build(graphql_schema(schema), document, None, None, variables, operation)
        if isinstance(built, list):
            return None
        subscription = built.schema.subscription_type
        assert subscription is not None
        grouped = root_fields(built, subscription)
        if len(grouped) != 1:
            return None
        ((key, details),) = grouped.items()
        named = get_named_type(subscription.fields[field_nodes(details)[0].name.value].type)
        if not isinstance(named, GraphQLObjectType) or named.name not in ROW_TYPES:
            return None
        field = field_of(built, subscription, key, details)
        return LivePlan(field, named.name, document, operation, portal=portal)
    except Unsupported as reason:
        log.debug("live payload not planned: %s", reason)
        return None
    except Exception:
        log.warning("a live payload's plan could not be compiled", exc_info=True)
        return None


def _variables(plan: LivePlan, schema: Any, variables: dict[str, Any] | None) -> Any:
    """The request's variables as its fields' arguments read them (coerced), when a field
    under the root takes arguments."""
    if not any(_takes_arguments(source.field) for source in plan.plan.nested):
        return {}
    built = Executor.build(
        graphql_schema(schema), plan.document, None, None, variables, plan.operation
    )
    if isinstance(built, list):
        raise Unsupported("variables refused")
    return built.variable_values


def _takes_arguments(field: Field) -> bool:
    return field.graphql_field is not None and bool(field.graphql_field.args)


async def payloads(
    plan: LivePlan,
    context: Context,
    schema: Any,
    variables: dict[str, Any] | None,
    rows: Sequence[Any],
) -> list[str] | None:
    """Each row's payload, encoded as graphql-core's would be; None: graphql-core renders
    them (a row gone since, or what a plan gives way on)."""
    ids = [row.id for row in rows]
    try:
        coerced = _variables(plan, schema, variables)
        found = await context.scope.read(lambda s: plan.rows.rows(s, {"ids": ids}))
        by_id = {row[plan.id_at]: row for row in found}
        if len(by_id) != len(set(ids)):
            return None
        state: State = {}
        await read_nested(context, plan.plan, state, {plan.source: found}, coerced)
        key = plan.field.key
        return [orjson.dumps({"data": {key: plan.render(by_id[pk], state)}}).decode() for pk in ids]
    except (Unsupported, GraphQLError, DomainError) as reason:
        log.debug("a live payload's plan gave way: %s", reason)
        return None
