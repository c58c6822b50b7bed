"""OpenTelemetry: one trace for an HTTP request, its GraphQL operation and its SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.support.client import PASSWORD, Api

# One provider for the test process (OpenTelemetry's global can be set only once); the app
# uses a provider already installed, as it would one from `opentelemetry-instrument`.
EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
    EXPORTER.clear()
    yield EXPORTER
    EXPORTER.clear()


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    found = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        found.append(span)
    return found


async def test_a_request_its_operation_and_its_sql_are_one_trace(
    api_with: Callable[..., AbstractAsyncContextManager[Api]], spans: InMemorySpanExporter
) -> None:
    async with api_with(otel=True) as api:
        tenant = await api.new_tenant()
        await api.data(
            "query Customers { customers(first: 5) { totalCount } }", token=tenant.admin_token
        )
        login = (
            "mutation SignIn($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
        )
        await api.data(login, {"e": tenant.admin_email, "p": PASSWORD})
        assert await api.error_codes("query Anonymous { customers(first: 1) { totalCount } }") == [
            "UNAUTHENTICATED"
        ]
    finished = spans.get_finished_spans()
    by_id = {span.context.span_id: span for span in finished}

    [operation] = [s for s in finished if s.name == "query Customers"]
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "Customers"
    assert operation.attributes["graphql.operation.type"] == "query"
    [request] = [a for a in ancestors(operation, by_id) if a.kind == SpanKind.SERVER]
    assert request.name == "POST /graphql"
    assert request.attributes is not None
    assert (
        request.attributes.get(
            "http.response.status_code", request.attributes.get("http.status_code")
        )
        == 200
    )

    trace_id = request.context.trace_id
    in_trace = [s for s in finished if s.context.trace_id == trace_id]
    sql = [s for s in in_trace if s.attributes and s.attributes.get("db.system") is not None]
    assert sql, [s.name for s in in_trace]
    # The operation's statements are its children (through the session's spans if any).
    assert any(operation in ancestors(s, by_id) for s in sql)
    assert any("customers" in str((s.attributes or {}).get("db.statement", "")) for s in sql)

    [refused] = [s for s in finished if s.name == "query Anonymous"]
    assert refused.status.status_code == trace.StatusCode.ERROR
    assert (refused.attributes or {})["graphql.error.code"] == "UNAUTHENTICATED"

    # No span carries a password, a token or a document's variables.
    [sign_in] = [s for s in finished if s.name == "mutation SignIn"]
    assert sign_in.context.trace_id != trace_id
    for span in finished:
        for value in (span.attributes or {}).values():
            assert PASSWORD not in str(value), span.name
