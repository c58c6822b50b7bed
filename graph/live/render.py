"""An event's rows as the messages subscribers receive: executed, masked, encoded once.

Each distinct request (render key) is rendered once per row: from a read plan where the
document has one (graph/reads/live.py), for every row of the event in a few statements;
else executed with the executor Strawberry itself uses for subscription events, unexpected
errors masked as for any operation, and the payload encoded once with orjson. A
subscriber's message is its own head (its protocol's frame with its operation id,
`frame_head`) followed by the shared tail (`frame_tail`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

import orjson
from graphql import DocumentNode, GraphQLError, parse
from graphql.execution import execute_subscription_event

from db.engine import Database
from graph.errors import mask_unexpected
from graph.library_internals import StrawberryExecutionContext, graphql_schema
from graph.live.subscriber import Subscriber
from graph.scope import OperationScope, use_scope

log = logging.getLogger("workcloud.live")

K = TypeVar("K", bound=Hashable)


def frame_head(message_type: str, operation_id: str) -> str:
    """A message of `message_type` up to its payload: `next` (graphql-transport-ws) or
    `data` (graphql-ws). Followed by a `frame_tail`, it is the whole message."""
    return (
        '{"id":' + orjson.dumps(operation_id).decode() + ',"type":"' + message_type + '","payload":'
    )


def frame_tail(payload: str) -> str:
    """The rest of a message after its head: the payload, and the closing brace."""
    return payload + "}"


async def render(
    wanted: Mapping[K, tuple[Subscriber, Any]], db: Database, tenant_id: int
) -> dict[K, str]:
    """Each (subscriber, row)'s payload, encoded; all of them in one scope, without a
    transaction (the rows are committed already)."""
    if not wanted:
        return {}
    scope = OperationScope(db, tenant_id, transaction=False)
    with use_scope(scope):
        try:
            rendered = await _planned(wanted)
            rest = [key for key in wanted if key not in rendered]
            executed = await asyncio.gather(*(_execute(*wanted[key]) for key in rest))
        finally:
            await scope.close()
    rendered.update(zip(rest, executed, strict=True))
    return {key: rendered[key] for key in wanted}


async def _planned(wanted: Mapping[K, tuple[Subscriber, Any]]) -> dict[K, str]:
    """The payloads read plans render (graph/reads/live.py): every row of one document,
    variables and kind of viewer from the same statements."""
    # Imported here: the plans import the types, which import the context, which imports
    # this module (through the hub).
    from graph.reads.live import live_plan, payloads

    groups: dict[tuple[object, ...], list[K]] = {}
    for key, (subscriber, _row) in wanted.items():
        context: Any = subscriber.context
        if not context.settings.planned_reads:
            continue
        request = subscriber.request
        variables = orjson.dumps(request.variables, option=orjson.OPT_SORT_KEYS)
        group = (request.query, request.operation_name, variables, subscriber.viewer.is_staff)
        groups.setdefault(group, []).append(key)
    rendered: dict[K, str] = {}
    for keys in groups.values():
        subscriber = wanted[keys[0]][0]
        context = subscriber.context
        request = subscriber.request
        plan = live_plan(
            request.schema,
            request.query,
            request.variables,
            request.operation_name,
            portal=not subscriber.viewer.is_staff,
        )
        if plan is None:
            continue
        rows = [wanted[key][1] for key in keys]
        found = await payloads(plan, context, request.schema, request.variables, rows)
        if found is not None:
            rendered.update(zip(keys, found, strict=True))
    return rendered


@functools.lru_cache(maxsize=512)
def _document(query: str) -> DocumentNode:
    return parse(query)


async def _execute(subscriber: Subscriber, row: Any) -> str:
    """The payload for one row, exactly as Strawberry's own execution would encode it."""
    request = subscriber.request
    executor = StrawberryExecutionContext.build(
        graphql_schema(request.schema),
        _document(request.query),
        None,
        subscriber.context,
        request.variables,
        request.operation_name,
    )
    if isinstance(executor, list):
        return _encode(None, executor)
    executed = execute_subscription_event(
        executor.build_per_event_executor(subscriber.to_payload(row))
    )
    result = await executed if isinstance(executed, Awaitable) else executed
    return _encode(result.data, result.errors)


def _encode(data: Any, errors: Sequence[GraphQLError] | None) -> str:
    payload: dict[str, Any] = {"data": data}
    if errors:
        masked = mask_unexpected(errors)
        for error, shown in zip(errors, masked, strict=True):
            if shown is not error:
                log.error("a live event failed: %s", error.message, exc_info=error.original_error)
        payload["errors"] = [error.formatted for error in masked]
    return orjson.dumps(payload).decode()
