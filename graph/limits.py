"""Transport limits: methods, request body size and WebSocket message size.

A method a route does not take answers 405 (graph/methods.py); the body limit answers
413 with a GraphQL-shaped JSON error before the body is parsed (a multipart upload has a
larger limit of its own, and is held on disk rather than in memory while it is counted);
an oversized WebSocket message closes the socket with 1009 (message too big). Sockets per
viewer are limited where sockets are tracked (graph/live/sockets/open_sockets.py); query
depth, tokens and aliases inside the schema (graph/schema.py).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator, Mapping
from typing import IO

from graphql import GraphQLError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from graph.methods import method_not_allowed
from graph.over_http import GRAPHQL_RESPONSE_JSON

MESSAGE_TOO_BIG = 1009
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
# How much of an oversized body is read (and dropped) before answering 413.
DRAIN_FACTOR = 8
# An upload is held in memory up to this size, on disk beyond it.
UPLOAD_IN_MEMORY = 1024 * 1024
UPLOAD_CHUNK = 64 * 1024


def _is_multipart(headers: Mapping[bytes, bytes]) -> bool:
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    return content_type.partition(";")[0].strip().lower() == "multipart/form-data"


class TransportLimits:
    """ASGI middleware enforcing the body and WebSocket message size limits."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        max_message: int,
        body_limits: Mapping[str, int] | None = None,
        upload_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_message = max_message
        # Paths with a limit of their own (raw e-mail with attachments at /inbound/email).
        self.body_limits = dict(body_limits or {})
        # Paths taking multipart uploads, with the limit of such a body.
        self.upload_limits = dict(upload_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            limit = self.body_limits.get(path, self.max_body)
            upload_limit = self.upload_limits.get(path)
            if upload_limit is not None and _is_multipart(dict(scope.get("headers") or [])):
                await self._http(scope, receive, send, upload_limit, spooled=True)
            else:
                await self._http(scope, receive, send, limit)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(
        self, scope: Scope, receive: Receive, send: Send, max_body: int, *, spooled: bool = False
    ) -> None:
        # Before the body is read: whatever it holds, this route does not take it.
        refusal = method_not_allowed(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").decode("latin-1").strip()
        if declared.isdigit() and int(declared) > max_body:
            await self._drain(receive, int(declared), max_body)
            await self._too_large(headers, send, max_body)
            return
        # Read the body here, counting, so a missing or lying Content-Length cannot
        # stream more than the limit into the app.
        buffer = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed below)
            max_size=UPLOAD_IN_MEMORY if spooled else max_body + 1
        )
        try:
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > max_body:
                    if message.get("more_body", False):
                        await self._drain(receive, size, max_body)
                    await self._too_large(headers, send, max_body)
                    return
                buffer.write(chunk)
                more = message.get("more_body", False)
            buffer.seek(0)
            # An upload goes on in chunks; any other body in one piece, as it was read.
            piece = UPLOAD_CHUNK if spooled else max(size, 1)
            await self.app(scope, _replay(buffer, size, piece, receive), send)
        finally:
            buffer.close()

    async def _drain(self, receive: Receive, seen: int, max_body: int) -> None:
        """Reads and drops the rest of a body, so the client gets to read our 413.

        Only up to a bound: past it the connection is closed on the sender instead.
        """
        budget = DRAIN_FACTOR * max_body
        while seen <= budget:
            message = await receive()
            if message["type"] != "http.request":
                return
            seen += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def _too_large(self, headers: dict[bytes, bytes], send: Send, max_body: int) -> None:
        accept = headers.get(b"accept", b"").decode("latin-1")
        media_type = (
            GRAPHQL_RESPONSE_JSON if GRAPHQL_RESPONSE_JSON in accept else "application/json"
        )
        body = json.dumps(
            {
                "errors": [
                    {
                        "message": f"The request body is larger than {max_body} bytes.",
                        "extensions": {"code": PAYLOAD_TOO_LARGE},
                    }
                ]
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", f"{media_type}; charset=utf-8".encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        closed = False

        async def limited_receive() -> Message:
            nonlocal closed
            message = await receive()
            if message["type"] == "websocket.receive" and not closed:
                data = message.get("text") or message.get("bytes") or b""
                size = len(data.encode()) if isinstance(data, str) else len(data)
                if size > self.max_message:
                    closed = True
                    await send(
                        {"type": "websocket.close", "code": MESSAGE_TOO_BIG, "reason": "Too big"}
                    )
                    return {"type": "websocket.disconnect", "code": MESSAGE_TOO_BIG}
            return message

        async def guarded_send(message: Message) -> None:
            # Once closed here, the app's own goodbye has nowhere to go.
            if not closed:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)


def _replay(buffer: IO[bytes], size: int, piece: int, receive: Receive) -> Receive:
    """The counted body handed on to the app, in chunks; then the client's own messages."""
    left = size

    async def replay() -> Message:
        nonlocal left
        if left < 0:
            return await receive()
        chunk = buffer.read(min(left, piece)) if left else b""
        left -= len(chunk)
        more = left > 0
        if not more:
            left = -1
        return {"type": "http.request", "body": chunk, "more_body": more}

    return replay


NUL = "\x00"


# PostgreSQL cannot store NUL in text; refusing it everywhere keeps both backends alike.
_NUL_REFUSED = "Text must not contain NUL characters."
# A lone surrogate ("\ud800" in JSON or GraphQL) is no character: it has no UTF-8.
_NOT_UNICODE = "Text must be valid Unicode (no lone surrogates)."


def _unstorable(text: str) -> str | None:
    """Why a text cannot be stored as it is on every backend, or None when it can."""
    if NUL in text:
        return _NUL_REFUSED
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return _NOT_UNICODE
    return None


def unstorable_text(value: object) -> str | None:
    """Why some text anywhere in a document or its variables cannot be stored, or None."""
    # A loop, not recursion: variables may nest as deep as the JSON decoder allows.
    waiting = [value]
    while waiting:
        item = waiting.pop()
        if isinstance(item, str):
            if (reason := _unstorable(item)) is not None:
                return reason
        elif isinstance(item, dict):
            waiting.extend(item.keys())
            waiting.extend(item.values())
        elif isinstance(item, list):
            waiting.extend(item)
    return None


# A GraphQL string escape: \u and four hex digits, \u{…} with one to eight, or any other
# backslash pair (\\, \").
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|u\{([0-9A-Fa-f]{1,8})\}|.)", re.DOTALL)


def _escapes_unstorable(document: str) -> str | None:
    """Why a string escape in the document spells unstorable text (NUL, lone surrogate).

    Read from the text, before parsing: the parser would turn a lone surrogate into a
    syntax error, and decode NUL silently. Escapes in comments and block strings, where
    they mean nothing, are refused alike; no client writes those.
    """
    high_ends_at: int | None = None  # where a high surrogate ended, awaiting its low half
    for match in _ESCAPE.finditer(document):
        digits = match[1] or match[2]
        unit = int(digits, 16) if digits else None
        if high_ends_at is not None:
            if match.start() == high_ends_at and unit is not None and 0xDC00 <= unit <= 0xDFFF:
                high_ends_at = None
                continue
            return _NOT_UNICODE
        if unit == 0:
            return _NUL_REFUSED
        if unit is not None and 0xD800 <= unit <= 0xDBFF:
            high_ends_at = match.end()
        elif unit is not None and 0xDC00 <= unit <= 0xDFFF:
            return _NOT_UNICODE
    return _NOT_UNICODE if high_ends_at is not None else None


def nul_refused(reason: str = _NUL_REFUSED) -> GraphQLError:
    return GraphQLError(reason, extensions={"code": "BAD_USER_INPUT"})


def unstorable_operation(query: object, variables: object) -> str | None:
    """Why an operation carries text no backend can store (NUL, lone surrogates), whether
    sent in the variables, in the document, or spelled as an escape in one of its strings.
    """
    reason = unstorable_text(query) or unstorable_text(variables)
    if reason is None and isinstance(query, str) and "\\u" in query:
        reason = _escapes_unstorable(query)
    return reason


class RefuseNulCharacters(SchemaExtension):
    """Refuses, before parsing, operations that carry text no backend can store.

    Over graphql-transport-ws the socket handler refuses them on arrival instead
    (graph/trusted_documents.py), where the protocol has an `error` message for it.
    """

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        reason = unstorable_operation(execution.query, execution.variables)
        if reason is not None:
            raise nul_refused(reason)
        yield
