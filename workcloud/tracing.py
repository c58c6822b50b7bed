"""OpenTelemetry traces: an HTTP request, its GraphQL operation and its SQL in one trace.

Optional (`pip install '.[otel]'`). On when `WORKCLOUD_OTEL=true`, or when OTEL_SERVICE_NAME
or OTEL_EXPORTER_OTLP_ENDPOINT is set; then the standard OTEL_* variables configure it:
OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the service, OTEL_EXPORTER_OTLP_* say
where spans go (OTLP over HTTP), OTEL_TRACES_EXPORTER may be `otlp` (default), `console` or
`none`, OTEL_TRACES_SAMPLER the sampling. A tracer provider already installed (by
`opentelemetry-instrument`, or a test) is used as it is.

Spans: the HTTP request (ASGI; WebSockets at /graphql are not traced, each of their
operations is), one span per GraphQL operation (its type and name, never its document or
variables: they can hold passwords and tokens), each SQL statement (without parameters),
and Redis commands. Strawberry's own OpenTelemetryExtension is not used: it records the
document and every resolver's arguments (a login's password) and a span per resolver.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator

from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from starlette.types import ASGIApp
from strawberry.extensions import SchemaExtension

from db.engine import Database
from workcloud.metrics import error_code


class Tracing:
    """What the app needs to trace: a provider, an ASGI wrapper, a schema extension, and
    SQL and Redis instrumented while the app runs (`start`, `stop`: from its lifespan)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        provider = trace.get_tracer_provider()
        if isinstance(provider, trace.ProxyTracerProvider):
            provider = configured_provider()
            trace.set_tracer_provider(provider)
        self.provider = provider
        self.tracer = trace.get_tracer("workcloud", tracer_provider=provider)

    def start(self) -> None:
        engines = {self.db.engine.sync_engine, self.db.read_engine.sync_engine}
        SQLAlchemyInstrumentor().instrument(
            engines=list(engines),
            tracer_provider=self.provider,
            enable_commenter=False,
            # It declares support up to SQLAlchemy 2.0; the engine events it listens to are
            # the same in 2.1 (tests/test_tracing.py checks the statements' spans).
            skip_dep_check=True,
        )
        RedisInstrumentor().instrument(tracer_provider=self.provider)

    def stop(self) -> None:
        SQLAlchemyInstrumentor().uninstrument()
        RedisInstrumentor().uninstrument()

    def middleware(self, app: ASGIApp) -> ASGIApp:
        return OpenTelemetryMiddleware(
            app, tracer_provider=self.provider, exclude_spans=["receive", "send"]
        )

    def extension(self) -> Callable[[], SchemaExtension]:
        tracer = self.tracer

        def make() -> SchemaExtension:
            return OperationSpan(tracer)

        return make


class OperationSpan(SchemaExtension):
    """A span for each GraphQL operation, current while it runs (so SQL spans are its
    children)."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer
        self.validated = False

    def on_execute(self) -> Iterator[None]:
        self.validated = True  # reached only by a document that parsed and validated
        yield

    async def on_operation(self) -> AsyncIterator[None]:
        span = self.tracer.start_span("GraphQL operation")
        previous = context.get_current()
        context.attach(trace.set_span_in_context(span))
        try:
            yield
        except Exception as error:
            # A check before execution (not signed in, not allowed), or a fault.
            failed(span, error_code(error))
            raise
        finally:
            # Attach, not detach: a subscription's generator may end in another context.
            context.attach(previous)
            self._describe(span)
            span.end()

    def _describe(self, span: trace.Span) -> None:
        execution = self.execution_context
        kind = "operation"
        if execution.graphql_document is not None:
            try:
                kind = execution.operation_type.value
            except Exception:  # no such operation in the document
                kind = "operation"
            span.set_attribute("graphql.operation.type", kind)
        name = execution.operation_name
        if name:
            span.set_attribute("graphql.operation.name", name)
        span.update_name(f"{kind} {name}" if name else kind)
        result = execution.result
        errors = (result.errors if result is not None else None) or execution.pre_execution_errors
        if errors:
            failed(span, error_code(errors[0], self.validated))


def failed(span: trace.Span, code: str) -> None:
    span.set_status(trace.Status(trace.StatusCode.ERROR))
    span.set_attribute("graphql.error.code", code)


def configured_provider() -> TracerProvider:
    """A provider from the OTEL_* variables (the SDK reads most of them itself)."""
    provider = TracerProvider(resource=Resource.create())
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower()
    if exporter == "otlp":
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    elif exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif exporter != "none":
        raise RuntimeError(f"OTEL_TRACES_EXPORTER={exporter!r}: use otlp, console or none")
    return provider
