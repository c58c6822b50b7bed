"""Log lines as `workcloud serve` writes them, and the request id each one carries.

Every line has a timestamp (UTC), a level, the logger's name and the message; while a
request is being served, also its request id, and on a WebSocket the operation's id.
`WORKCLOUD_LOG_FORMAT=json` writes one JSON object a line instead of text.

`WORKCLOUD_LOG_LEVEL` (default INFO) is the level of the app's own loggers (`workcloud.*`)
and uvicorn's; other libraries log their warnings and errors only, whatever it is (their
debug lines can carry SQL parameters). uvicorn's access and error lines go through the same
handler, so they have the same format and carry the request id too.

The request id is the client's `X-Request-ID` when it is a sane one (graph/log_context.py),
else a new one; the response carries it back in `X-Request-ID`.
"""

from __future__ import annotations

import logging
import sys
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.log_context import operation_id, request_id, sane_request_id

REQUEST_ID_HEADER = "X-Request-ID"
# uvicorn's level below DEBUG, accepted by `--log-level trace`.
TRACE = 5
LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": TRACE,
}
OWN_LOGGERS = ("workcloud", "uvicorn", "uvicorn.error", "uvicorn.access")


class RequestContextFilter(logging.Filter):
    """Puts the request id and operation id of the running request on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.operation_id = operation_id.get()
        return True


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """`2025-05-01T08:00:00.000Z INFO workcloud.outbox [request=…] message`"""

    def format(self, record: logging.LogRecord) -> str:
        ids = [
            f"{name}={value}"
            for name, value in (
                ("request", getattr(record, "request_id", None)),
                ("operation", getattr(record, "operation_id", None)),
            )
            if value is not None
        ]
        where = f" [{' '.join(ids)}]" if ids else ""
        line = f"{_timestamp(record)} {record.levelname} {record.name}{where} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: timestamp, level, logger, message, request_id, operation_id,
    and the traceback as `exception` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "operation_id"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Sends every log line to `stream` (stderr) in `log_format` ("text" or "json")."""
    threshold = LEVELS[level.lower()]
    logging.addLevelName(TRACE, "TRACE")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(max(threshold, logging.WARNING))
    for name in OWN_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(threshold)
        logger.handlers.clear()
        logger.propagate = True


class RequestIds:
    """ASGI middleware: a request id for each HTTP request and WebSocket, set for the log
    lines written while it is served and sent back in `X-Request-ID`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = sane_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        current = given or uuid.uuid4().hex
        first = "http.response.start" if scope["type"] == "http" else "websocket.accept"

        async def send_with_id(message: Message) -> None:
            if message["type"] == first:
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                if REQUEST_ID_HEADER not in headers:
                    headers.append(REQUEST_ID_HEADER, current)
            await send(message)

        token = request_id.set(current)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
