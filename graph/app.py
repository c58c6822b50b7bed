"""The GraphQL view: /graphql over HTTP and WebSocket, signing in each request and socket."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import SchemaExtension
from strawberry.http.base import BaseRequestProtocol
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from domain import signin
from domain.viewer import Viewer
from graph.context import Context, Services
from graph.errors import classify, is_outage
from graph.graphiql import ide_html
from graph.library_internals import UnsetType, is_operation_type_refusal
from graph.live.sockets.legacy import LegacySocketHandler
from graph.live.sockets.open_sockets import TOO_MANY_CONNECTIONS, TRY_AGAIN_LATER, OpenSockets
from graph.live.sockets.sign_ins import SocketSignIns
from graph.live.sockets.transport import LiveSocketHandler, live_socket_handler
from graph.log_context import loggable_id, operation_id
from graph.over_http import GraphQLOverHTTP, error_response
from graph.schema import build_schema
from graph.trusted_documents import (
    NOT_FOUND_MESSAGE,
    NOT_TRUSTED,
    PersistedQueries,
    PersistedQueryNotFound,
    TrustedSocketHandler,
    load_manifest,
    persisted_query_hash,
    requested_document_id,
)

log = logging.getLogger("workcloud")

PREFLIGHT_HEADER = "Apollo-Require-Preflight"


def bearer_token(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def viewer_for(services: Services, token: str | None) -> Viewer | None:
    if token is None:
        return None
    async with services.db.session(None) as session:
        return await signin.viewer_for_token(session, token)


def refuse_simple_multipart(request: AsyncHTTPRequestAdapter) -> None:
    """A browser sends a multipart form to any site without asking (no CORS preflight),
    with the user's cookies: such a request must carry a header only a script can set."""
    content_type = (request.content_type or "").partition(";")[0].strip().lower()
    if (
        content_type == "multipart/form-data"
        and not request.headers.get(PREFLIGHT_HEADER, "").strip()
    ):
        raise HTTPException(
            400, f"A multipart request needs a non-empty {PREFLIGHT_HEADER} header."
        )


class WebSocketAdapter(ASGIWebSocketAdapter):
    async def close(self, code: int, reason: str) -> None:
        # A rejection may carry its own close code (e.g. too many connections).
        rejection = getattr(self.ws.state, "close_with", None)
        await super().close(*(rejection or (code, reason)))


@contextmanager
def known_to_view(handler: Any) -> Iterator[None]:
    """A socket's protocol handler, known to its view while it runs (for the metrics)."""
    handlers: set[Any] = handler.view.socket_handlers
    handlers.add(handler)
    try:
        yield
    finally:
        handlers.discard(handler)


@contextmanager
def operation_logged(message: object) -> Iterator[None]:
    """A socket's message that starts an operation is handled with the operation's id on
    every log line written meanwhile, and by the operation's task (which takes it along)."""
    if not (
        isinstance(message, dict)
        and message.get("type") in ("subscribe", "start")
        and isinstance(message.get("id"), str)
    ):
        yield
        return
    token = operation_id.set(loggable_id(message["id"]))
    try:
        yield
    finally:
        operation_id.reset(token)


class ObservedSocketHandler(BaseGraphQLTransportWSHandler[Any, None]):
    def open_operations(self) -> int:
        return len(self.operations)

    async def handle(self) -> None:
        with known_to_view(self):
            await super().handle()

    async def handle_message(self, message: Any) -> None:
        with operation_logged(message):
            await super().handle_message(message)


class ObservedLegacySocketHandler(BaseGraphQLWSHandler[Any, None]):
    # open_operations: LegacySocketHandler's, which counts subscriptions live in the hub too.

    async def handle(self) -> None:
        with known_to_view(self):
            await super().handle()

    async def handle_message(self, message: Any) -> None:
        with operation_logged(message):
            await super().handle_message(message)


class GraphQLView(GraphQLOverHTTP, GraphQL[Context, None]):
    websocket_adapter_class = WebSocketAdapter

    def __init__(
        self,
        services: Services,
        extensions: Sequence[Callable[[], SchemaExtension]] = (),
    ) -> None:
        """`extensions` run first, around the schema's own (metrics, tracing)."""
        settings = services.settings
        schema = build_schema(settings)
        schema.extensions = (*extensions, *schema.extensions)
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql_enabled else None,
            keep_alive=True,
            # File uploads: the GraphQL multipart request spec (graph/uploads.py).
            multipart_uploads_enabled=True,
            keep_alive_interval=20,
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            # A browser lets any page open a socket to any site: a handshake whose Origin is
            # neither the API's own nor one of these is refused before it is accepted (403).
            # One without Origin comes from no browser, and is let through.
            allowed_origins=settings.cors_origins,
            # The legacy protocol has no per-operation error to refuse an untrusted document.
            subscription_protocols=(
                ("graphql-transport-ws",)
                if settings.trusted_documents
                else ("graphql-transport-ws", "graphql-ws")
            ),
        )
        self.services = services
        # Keep-alive pings, and trusted documents refused per operation.
        keep_alive = live_socket_handler(
            settings.ws_ping_interval, settings.subscription_queue_size
        )
        handler: type[LiveSocketHandler] = type(
            "SocketHandler", (ObservedSocketHandler, TrustedSocketHandler, keep_alive), {}
        )
        self.graphql_transport_ws_handler_class = handler
        self.graphql_ws_handler_class = type(
            "LegacySocketHandler",
            (ObservedLegacySocketHandler, LegacySocketHandler),
            {
                "init_timeout": settings.ws_init_timeout_seconds,
                "backlog_limit": settings.subscription_queue_size,
            },
        )
        self.connections = OpenSockets(settings.max_connections_per_viewer)
        # Sockets' tokens, read many to a statement (a reconnect storm asks thousands at once).
        self.sign_ins = SocketSignIns(services.db)
        # Every socket's protocol handler while it runs.
        self.socket_handlers: set[Any] = set()
        path = settings.trusted_documents
        self.trusted_documents = load_manifest(path) if path is not None else None
        self.persisted_queries = PersistedQueries(
            self.trusted_documents, settings.persisted_queries_cache_chars
        )

    @property
    def graphql_ide_html(self) -> str:
        # The product's own GraphiQL page, its files served by this API (graph/graphiql/).
        return ide_html()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            socket = WebSocket(scope, receive=receive, send=send)
            try:
                await self.run(socket)
            finally:
                self.connections.release(socket)
            return
        request = Request(scope, receive=receive)
        try:
            response = self.finish(request, await self.run(request))
        except HTTPException as error:
            response = error_response(request, error.status_code, error.reason)
        except PersistedQueryNotFound:
            # 200, as Apollo Server answers: Apollo's link takes a 400 for "not supported"
            # and stops sending hashes. Not to be cached: the next request may register it.
            response = error_response(request, 200, NOT_FOUND_MESSAGE, NOT_TRUSTED)
            response.headers["Cache-Control"] = "private, no-cache, must-revalidate"
        except Exception as error:
            log.exception("request failed")
            code, message = classify(error)
            status = 503 if code == "SERVICE_UNAVAILABLE" else 500
            response = error_response(request, status, message, code)
        finally:
            # Uploaded files spooled to disk go now, not whenever they are collected.
            await request.close()
        await response(scope, receive, send)

    def open_sockets(self) -> int:
        return len(self.socket_handlers)

    def open_socket_operations(self) -> int:
        return sum(handler.open_operations() for handler in self.socket_handlers)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET that names its document by hash is an API call, whatever it accepts (`*/*`).
        params = request.query_params
        named = "extensions" in params or "documentId" in params
        return not named and super().should_render_graphql_ide(request)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> Any:
        refuse_simple_multipart(request)
        data = await super().parse_http_body(request)
        if isinstance(data, list):
            return data
        apq_hash = persisted_query_hash(data.extensions)
        if apq_hash is not None:
            data.query = self.persisted_queries.document(data.query, apq_hash)
            return data
        manifest = self.trusted_documents
        if manifest is None or data.query is not None:
            return data
        if request.method == "GET":
            body: dict[str, Any] = dict(request.query_params)
        else:
            body = self.parse_json(await request.get_body())
        document_id = requested_document_id(body)
        if document_id is not None and document_id in manifest:
            data.query = manifest[document_id]
        elif document_id is not None:
            raise HTTPException(400, "Unknown document id: only trusted documents may run.")
        return data

    def encode_json(self, data: object) -> str:
        # A page of the table view is ~50 KB of JSON: orjson encodes it in a tenth of the time.
        # Text, not bytes: WebSocket messages go through here too, and must be text frames.
        return orjson.dumps(data).decode()

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        context = Context(services=self.services, request=request, response=response)
        if isinstance(request, Request):
            context.bearer_token = bearer_token(request.headers.get("authorization"))
            context.viewer = await viewer_for(self.services, context.bearer_token)
        return context

    async def execute_single(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute_single(request, *args, **kwargs)
        except HTTPException as error:
            # GraphQL over HTTP: a mutation sent with GET is a wrong method, not a bad request.
            if is_operation_type_refusal(error) and request.method == "GET":
                raise HTTPException(405, error.reason) from error
            raise

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        token = bearer_token(params.get("authorization") or params.get("Authorization"))
        socket = context.request
        try:
            viewer = None if token is None else await self.sign_ins.viewer(token)
        except Exception as error:
            if not is_outage(error):
                raise
            # The database is away or every connection is busy (a reconnect storm): the
            # client is told to come back, not that its token is bad.
            log.warning("a socket's sign-in could not be read: %r", error)
            socket.state.close_with = (TRY_AGAIN_LATER, "Try again later")
            raise ConnectionRejectionError() from error
        if viewer is None:
            raise ConnectionRejectionError()
        if not self.connections.acquire(viewer, socket):
            socket.state.close_with = (TOO_MANY_CONNECTIONS, "Too many connections")
            raise ConnectionRejectionError()
        context.viewer = viewer
        context.bearer_token = token
        context.connection_params = None  # read; not worth keeping for the socket's life
        return await super().on_ws_connect(context)

    async def still_signed_in(self, context: Context) -> bool:
        """Reads the socket's token again before an operation runs on it: the operation runs
        as the viewer is now (a changed role included), or not at all."""
        token = context.bearer_token
        viewer = None if token is None else await self.sign_ins.viewer(token)
        if viewer is None or context.viewer is None or viewer.token_id != context.viewer.token_id:
            return False
        context.viewer = viewer
        return True
