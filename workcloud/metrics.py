"""Prometheus metrics at /metrics, for `Authorization: Bearer <WORKCLOUD_METRICS_TOKEN>`.

Without a token configured /metrics answers 404: they are not for the public (operation
names, load and backlog say a lot about the tenants). Each server process has its own
registry and answers for itself: scrape every instance (each `workcloud serve` is one
process).

- `workcloud_graphql_operations_total{type,operation,outcome}`: every GraphQL operation,
  over HTTP and WebSocket; `outcome` is `ok` or the first error's code
  (`UNAUTHENTICATED`, `GRAPHQL_VALIDATION_FAILED`, `INTERNAL_SERVER_ERROR`, …).
- `workcloud_graphql_operation_duration_seconds{type,operation}`: queries and mutations.
- `workcloud_websockets_open`, `workcloud_websocket_operations_open`: read at scrape time
  from the GraphQL view (a socket's open operations are nearly all subscriptions).
- `workcloud_bus_lag_seconds`: how long an event this instance publishes takes to come back
  to its own listener (Redis and the local dispatch queue), measured by a probe at scrape
  time; the probe's timeout when it did not come back.
- `workcloud_outbox_messages{channel,status}`: mail, SMS and webhook deliveries not sent
  yet or failed for good (one GROUP BY at scrape time; no series: none).
- `workcloud_db_pool_{size,checked_out,overflow}{engine}`: SQLAlchemy's pool status.

Operation names come from clients: only names of documents that passed validation are
kept, and only the first MAX_OPERATION_NAMES of them; any others count as `other`.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress

from graphql import GraphQLError, OperationType
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select
from sqlalchemy.pool import QueuePool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from strawberry.extensions import SchemaExtension

from bus.event_bus import EventBus, ListenerOverflow, Resync
from db.engine import Database
from db.models import OutboxMessage
from domain.announcements import Announcement
from domain.errors import DomainError
from domain.outbox import OutboxStatus
from graph.app import GraphQLView
from graph.context import Services
from graph.errors import classify

log = logging.getLogger("workcloud.metrics")

MAX_OPERATION_NAMES = 200
MAX_OPERATION_NAME_LENGTH = 100
PROBE_TIMEOUT_SECONDS = 2.0
# The outbox's backlog: sent messages are history, not backlog.
BACKLOG = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value, OutboxStatus.FAILED.value)


class Metrics:
    """One server's metrics: its own registry, filled as operations run and at scrape time."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.view: GraphQLView | None = None  # whose sockets are counted (`watch`)
        token = services.settings.metrics_token
        self._token = token.get_secret_value().encode() if token is not None else None
        self.registry = CollectorRegistry()
        self.operations = Counter(
            "workcloud_graphql_operations",
            "GraphQL operations by type, name and outcome (ok or the first error's code).",
            ["type", "operation", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "workcloud_graphql_operation_duration_seconds",
            "Time to answer a GraphQL query or mutation.",
            ["type", "operation"],
            registry=self.registry,
        )
        self._names: set[str] = set()
        self.websockets = Gauge(
            "workcloud_websockets_open", "Open GraphQL WebSockets.", registry=self.registry
        )
        self.websocket_operations = Gauge(
            "workcloud_websocket_operations_open",
            "Operations open on GraphQL WebSockets (subscriptions, and any query in flight).",
            registry=self.registry,
        )
        self.bus_lag = Gauge(
            "workcloud_bus_lag_seconds",
            "Time from publishing an event to its delivery to a listener on this instance.",
            registry=self.registry,
        )
        self.outbox = Gauge(
            "workcloud_outbox_messages",
            "Outbox messages not sent (PENDING, SENDING) or given up on (FAILED).",
            ["channel", "status"],
            registry=self.registry,
        )
        self.pool_size = Gauge(
            "workcloud_db_pool_size",
            "Connections the pool keeps.",
            ["engine"],
            registry=self.registry,
        )
        self.pool_checked_out = Gauge(
            "workcloud_db_pool_checked_out",
            "Connections in use.",
            ["engine"],
            registry=self.registry,
        )
        self.pool_overflow = Gauge(
            "workcloud_db_pool_overflow",
            "Connections open beyond the pool's size.",
            ["engine"],
            registry=self.registry,
        )
        self.probe = BusProbe(services.bus)

    def watch(self, view: GraphQLView) -> None:
        self.view = view

    # Counting operations (OperationMetrics below calls these).
    def operation_label(self, name: str | None, validated: bool) -> str:
        if not validated:
            return "invalid"
        if not name:
            return "anonymous"
        if name in self._names:
            return name
        if len(name) > MAX_OPERATION_NAME_LENGTH or len(self._names) >= MAX_OPERATION_NAMES:
            return "other"
        self._names.add(name)
        return name

    def extension(self) -> type[SchemaExtension]:
        metrics = self

        class Extension(OperationMetrics):
            def __init__(self) -> None:
                super().__init__(metrics)

        return Extension

    # Scraping.
    async def endpoint(self, request: Request) -> Response:
        if self._token is None:
            return PlainTextResponse("Not Found", status_code=404)
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), self._token
        ):
            return PlainTextResponse(
                "Unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        await self.refresh()
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    async def refresh(self) -> None:
        """Reads what is measured at scrape time."""
        if self.view is not None:
            self.websockets.set(self.view.open_sockets())
            self.websocket_operations.set(self.view.open_socket_operations())
        self._read_pools(self.services.db)
        lag, _ = await asyncio.gather(self.probe.measure(), self._read_outbox())
        self.bus_lag.set(lag)

    def _read_pools(self, db: Database) -> None:
        engines = {"main": db.engine}
        if db.read_engine is not db.engine:
            engines["read"] = db.read_engine
        for name, engine in engines.items():
            pool = engine.pool
            if isinstance(pool, QueuePool):
                self.pool_size.labels(name).set(pool.size())
                self.pool_checked_out.labels(name).set(pool.checkedout())
                self.pool_overflow.labels(name).set(max(pool.overflow(), 0))

    async def _read_outbox(self) -> None:
        query = (
            select(OutboxMessage.channel, OutboxMessage.status, func.count())
            .where(OutboxMessage.status.in_(BACKLOG))
            .group_by(OutboxMessage.channel, OutboxMessage.status)
        )
        timeout = self.services.settings.database_timeout_seconds
        try:
            async with asyncio.timeout(timeout), self.services.db.session(None) as session:
                rows = (await session.execute(query)).all()
        except Exception as error:
            # Left out of this scrape; /health says what is down.
            log.warning("cannot read the outbox backlog: %s", type(error).__name__)
            self.outbox.clear()
            return
        self.outbox.clear()
        for channel, status, count in rows:
            self.outbox.labels(channel, status).set(count)


class OperationMetrics(SchemaExtension):
    """Counts each operation by type, name and outcome, and times queries and mutations.

    First among the schema's extensions, so it sees the errors as the client gets them."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.validated = False

    def on_execute(self) -> Iterator[None]:
        # Reached only by a document that parsed and validated.
        self.validated = True
        yield

    async def on_operation(self) -> AsyncIterator[None]:
        started = time.perf_counter()
        try:
            yield
        except Exception as error:
            # Raised by a check before execution (not signed in, not allowed), or a fault:
            # the client gets it as the only error.
            self._record(time.perf_counter() - started, error_code(error))
            raise
        self._record(time.perf_counter() - started, None)

    def _record(self, elapsed: float, raised: str | None) -> None:
        context = self.execution_context
        kind = "unknown"
        if context.graphql_document is not None:
            with suppress(Exception):  # the requested operation is not in the document
                kind = context.operation_type.value
        operation = self.metrics.operation_label(context.operation_name, self.validated)
        if raised is not None:
            outcome = raised
        else:
            result = context.result
            errors = (result.errors if result is not None else None) or (
                context.pre_execution_errors or ()
            )
            outcome = "ok" if not errors else error_code(errors[0], self.validated)
        self.metrics.operations.labels(kind, operation, outcome).inc()
        if kind in (OperationType.QUERY.value, OperationType.MUTATION.value):
            self.metrics.duration.labels(kind, operation).observe(elapsed)


def error_code(error: BaseException, validated: bool = True) -> str:
    """The code the client gets for `error` (graphql-core's own errors have none)."""
    if isinstance(error, GraphQLError):
        code = (error.extensions or {}).get("code")
        if isinstance(code, str):
            return code
        if error.original_error is None or isinstance(error.original_error, GraphQLError):
            return "GRAPHQL_ERROR" if validated else "GRAPHQL_VALIDATION_FAILED"
        error = error.original_error
    if isinstance(error, DomainError):
        return error.code
    return classify(error)[0]  # an unexpected fault, reported masked


class BusProbe:
    """Publishes a probe on a channel of this instance's own and times its way back."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.channel = f"metrics-probe.{uuid.uuid4().hex}"
        self._numbers = itertools.count()
        self._waiting: dict[int, asyncio.Future[float]] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="bus-probe")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _listen(self) -> None:
        while True:
            try:
                async with self.bus.listen(self.channel) as listener:
                    while True:
                        item = await listener.get()
                        if isinstance(item, Resync):
                            continue
                        waiting = self._waiting.pop(item.get("n", -1), None)
                        if waiting is not None and not waiting.done():
                            waiting.set_result(time.monotonic())
            except ListenerOverflow:
                continue
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("bus probe cannot listen: %r", error)
                await asyncio.sleep(1.0)

    async def measure(self) -> float:
        """Seconds the probe took to come back; PROBE_TIMEOUT_SECONDS when it did not."""
        number = next(self._numbers)
        arrived: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[number] = arrived
        sent = time.monotonic()
        try:
            await self.bus.publish_all([Announcement(self.channel, {"n": number})])
            received: float = await asyncio.wait_for(arrived, PROBE_TIMEOUT_SECONDS)
            return received - sent
        except TimeoutError:
            return PROBE_TIMEOUT_SECONDS
        finally:
            self._waiting.pop(number, None)
