"""Prometheus metrics at /metrics: behind a bearer token, read from a real server."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from db.models import OutboxMessage
from tests.support.client import Api, eventually, unique
from workcloud.metrics import MAX_OPERATION_NAMES, PROBE_TIMEOUT_SECONDS

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(api: Api, token: str) -> Samples:
    response = await api.http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_without_a_token_configured_there_are_no_metrics(api: Api) -> None:
    assert api.settings.metrics_token is None
    assert (await api.http.get("/metrics")).status_code == 404
    response = await api.http.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404


async def test_metrics_need_the_token(
    api_with: Callable[..., AbstractAsyncContextManager[Api]],
) -> None:
    token = secrets.token_urlsafe(24)
    async with api_with(metrics_token=SecretStr(token)) as api:
        assert (await api.http.get("/metrics")).status_code == 401
        # The last character changed (to another one whatever it was).
        other = "y" if token.endswith("x") else "x"
        wrong = {"Authorization": f"Bearer {token[:-1]}{other}"}
        refused = await api.http.get("/metrics", headers=wrong)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert token not in refused.text
        await scrape(api, token)


async def test_operations_are_counted_by_name_and_outcome_and_timed(
    api_with: Callable[..., AbstractAsyncContextManager[Api]],
) -> None:
    token = secrets.token_urlsafe(24)
    async with api_with(metrics_token=SecretStr(token)) as api:
        tenant = await api.new_tenant()
        for _ in range(3):
            await api.data("query Me { viewer { kind } }", token=tenant.admin_token)
        codes = await api.error_codes("query Them { customers(first: 1) { totalCount } }")
        assert codes == ["UNAUTHENTICATED"]
        assert (await api.post("query Broken { nonsense }"))["errors"]
        await api.data("mutation Out { logout { ok } }", token=tenant.admin_token)

        samples = await scrape(api, token)
        total = "workcloud_graphql_operations_total"
        assert value(samples, total, type="query", operation="Me", outcome="ok") == 3
        assert value(samples, total, type="query", operation="Them", outcome="UNAUTHENTICATED") == 1
        # A document that does not validate is not trusted with a name of its own.
        assert (
            value(
                samples,
                total,
                type="query",
                operation="invalid",
                outcome="GRAPHQL_VALIDATION_FAILED",
            )
            == 1
        )
        assert value(samples, total, type="mutation", operation="Out", outcome="ok") == 1
        duration = "workcloud_graphql_operation_duration_seconds"
        assert value(samples, f"{duration}_count", type="query", operation="Me") == 3
        assert value(samples, f"{duration}_sum", type="query", operation="Me") > 0
        assert value(samples, f"{duration}_count", type="mutation", operation="Out") == 1


async def test_operation_names_are_bounded(
    api_with: Callable[..., AbstractAsyncContextManager[Api]],
) -> None:
    token = secrets.token_urlsafe(24)
    async with api_with(metrics_token=SecretStr(token)) as api:
        names = [f"Made{i}" for i in range(MAX_OPERATION_NAMES + 5)]
        for start in range(0, len(names), 20):
            await asyncio.gather(
                *(api.data(f"query {n} {{ __typename }}") for n in names[start : start + 20])
            )
        await api.data(f"query {'L' * 101} {{ __typename }}")
        samples = await scrape(api, token)
        counted = {
            dict(labels)["operation"]
            for (name, labels) in samples
            if name == "workcloud_graphql_operations_total"
        }
        assert len(counted - {"other"}) == MAX_OPERATION_NAMES
        total = "workcloud_graphql_operations_total"
        assert value(samples, total, type="query", operation="other", outcome="ok") == 6


async def test_sockets_outbox_bus_and_pool_are_read_at_scrape_time(
    api_with: Callable[..., AbstractAsyncContextManager[Api]],
) -> None:
    token = secrets.token_urlsafe(24)
    async with api_with(metrics_token=SecretStr(token)) as api:
        tenant = await api.new_tenant()
        before = await scrape(api, token)
        assert value(before, "workcloud_websockets_open") == 0
        assert value(before, "workcloud_websocket_operations_open") == 0
        async with api.ws(tenant.admin_token) as socket:
            await socket.subscribe("subscription { notificationReceived { id } }")
            await socket.subscribe("subscription { notificationReceived { id } }")

            async def both_open() -> Samples | None:
                samples = await scrape(api, token)
                return (
                    samples if value(samples, "workcloud_websocket_operations_open") == 2 else None
                )

            during: Samples = await eventually(both_open, what="two open subscriptions")
            assert value(during, "workcloud_websockets_open") == 1

        async def closed() -> bool:
            return value(await scrape(api, token), "workcloud_websockets_open") == 0

        await eventually(closed, what="the socket to be gone")

        # A message given up on (the sender leaves FAILED ones alone) is in the backlog.
        failed = value(
            await scrape(api, token), "workcloud_outbox_messages", channel="SMS", status="FAILED"
        )
        async with api.db.transaction(None) as session:
            session.add(
                OutboxMessage(
                    tenant_id=tenant.pk,
                    channel="SMS",
                    recipient="+46701234567",
                    body=unique("sms"),
                    status="FAILED",
                )
            )
        after = await scrape(api, token)
        assert (
            value(after, "workcloud_outbox_messages", channel="SMS", status="FAILED") == failed + 1
        )
        assert not any(
            dict(labels).get("status") == "SENT"
            for (name, labels) in after
            if name == "workcloud_outbox_messages"
        )

        lag = value(after, "workcloud_bus_lag_seconds")
        assert 0 < lag < PROBE_TIMEOUT_SECONDS

        if api.backend == "postgres":
            size = api.settings.database_pool_size
            assert value(after, "workcloud_db_pool_size", engine="main") == size
            checked_out = value(after, "workcloud_db_pool_checked_out", engine="main")
            assert 0 <= checked_out <= size + 20
