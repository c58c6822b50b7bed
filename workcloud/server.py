"""The application, assembled: settings, database, event bus, outbox sender, scheduler, and
the Starlette app serving /graphql over HTTP and WebSocket, /health, /inbound/email,
/attachments/<key> (signed download links) and /metrics (workcloud/metrics.py).

Everything that runs for the life of the process is started and stopped by the lifespan here.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from bus.case_presence import CasePresenceBoard
from bus.event_bus import EventBus
from config.settings import Settings, get_settings
from db.engine import Database
from domain import channels, passwords
from domain.sla import case_targets
from graph.app import GraphQLView
from graph.attachment_links import AttachmentLinks
from graph.context import Services
from graph.graphiql import ASSETS_PATH, STATIC_DIR
from graph.ids import to_global_id
from graph.limits import TransportLimits
from graph.live.case_feed import CaseFeeds
from graph.live.event_reads import EventReads
from graph.live.hub import LiveHub
from graph.throttle import SignInThrottle
from messaging.sender import OutboxSender
from storage.configured import open_store
from workcloud.attachment_endpoint import attachment_download
from workcloud.cross_origin import cors
from workcloud.health import Readiness
from workcloud.inbound_endpoint import inbound_email
from workcloud.logging_setup import RequestIds, configure_logging
from workcloud.metrics import Metrics
from workcloud.scheduler import Scheduler


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class GraphQLApp(Starlette):
    """Starlette, except that a WebSocket at /graphql goes straight to the GraphQL view.

    A socket may stay open for days, and every ASGI layer it passes through keeps a frame
    for all that time: the router and the exception middlewares add nothing to a socket
    that only ever speaks GraphQL, so it skips them (the size limits still apply).
    """

    def __init__(self, *, graphql_socket: ASGIApp, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._graphql_socket = graphql_socket

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and _route_path(scope) == "/graphql":
            scope["app"] = self
            await self._graphql_socket(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


# A request makes thousands of short-lived objects (rows, ORM instances, resolver results).
# At Python's default threshold (700 allocations) the collector runs many times a second,
# and its full passes walk every long-lived object (modules, the schema, SQLAlchemy's
# caches): a third of a busy server's time, in pauses of up to 0.2 s.
GC_THRESHOLDS = (50_000, 20, 20)


def create_served_app() -> Starlette:
    """What `workcloud serve` runs in each worker process: the app, with that process's
    logging set up from the settings (in-process test servers keep their own logging), and
    the garbage collector tuned for a server: what exists once the app is built is kept out
    of every collection (`gc.freeze`), and collections run less often."""
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return app


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    passwords.configure(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    case_targets.configure(warning_share=settings.sla_warning_share)
    bus = EventBus(
        settings.broadcast_url,
        prefix=settings.broadcast_channel_prefix,
        queue_size=settings.subscription_queue_size,
    )
    db = Database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        pooler=settings.database_pooler,
    )
    event_reads = EventReads(db)
    services = Services(
        settings=settings,
        db=db,
        bus=bus,
        throttle=SignInThrottle(settings),
        event_reads=event_reads,
        live=LiveHub(bus, event_reads, db),
        case_feeds=CaseFeeds(bus, event_reads, db),
        presence=CasePresenceBoard(bus, heartbeat_seconds=settings.presence_heartbeat_seconds),
        storage=open_store(settings.storage_url),
        attachment_links=AttachmentLinks(db, settings),
    )
    tracing = None
    if settings.tracing_enabled:
        # The optional extra ('.[otel]'): imported only when tracing is on.
        from workcloud.tracing import Tracing

        tracing = Tracing(db)
    metrics = Metrics(services)
    view = GraphQLView(
        services,
        extensions=[*([tracing.extension()] if tracing else []), metrics.extension()],
    )
    metrics.watch(view)
    sender = OutboxSender.from_settings(
        settings, services.db, services.storage, global_id=to_global_id
    )

    readiness = Readiness(services)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if tracing is not None:
            tracing.start()
        await readiness.start()
        await services.bus.connect()
        metrics.probe.start()
        await services.presence.start()
        scheduler = Scheduler(
            services.db,
            services.bus,
            settings.deadline_reminder_interval,
            settings.sla_check_interval,
        )
        scheduler.start()
        sender.start(wakeups=lambda: services.bus.listen(channels.outbox()))
        sign_ins = asyncio.create_task(
            view.connections.follow(services.bus, services.event_reads.valid_tokens),
            name="ended-sign-ins",
        )
        try:
            yield
        finally:
            sign_ins.cancel()
            with suppress(asyncio.CancelledError):
                await sign_ins
            await sender.stop()
            await scheduler.stop()
            await readiness.stop()
            await services.live.close()
            await services.case_feeds.close()
            await services.presence.stop()
            await metrics.probe.stop()
            await services.bus.disconnect()
            await services.throttle.close()
            await services.storage.close()
            await services.db.dispose()
            if tracing is not None:
                tracing.stop()

    limits = partial(
        TransportLimits,
        max_body=settings.max_request_bytes,
        max_message=settings.max_websocket_message_bytes,
    )
    app = GraphQLApp(
        graphql_socket=RequestIds(limits(view)),
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            Route("/health", readiness.endpoint, methods=["GET"]),
            Route("/inbound/email", inbound_email(services), methods=["POST"]),
            Route("/attachments/{key}", attachment_download(services), methods=["GET"]),
            # GraphiQL's scripts and styles, from the API itself: its page needs no other site.
            *(
                [Mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR))]
                if settings.graphiql_enabled
                else []
            ),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
        ],
        middleware=[
            *([Middleware(tracing.middleware)] if tracing else []),
            Middleware(RequestIds),
            # Outside the limits, which would refuse a preflight's OPTIONS with 405.
            cors(settings.cors_origins),
            Middleware(
                limits,
                body_limits={"/inbound/email": settings.inbound_max_bytes},
                upload_limits={"/graphql": settings.max_upload_request_bytes},
            ),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.outbox_sender = sender
    return app
