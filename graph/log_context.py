"""What a log line was written for: the request, and on a WebSocket the operation.

Set by the request-id middleware (workcloud/logging_setup.py) for each HTTP request and
WebSocket, and by the GraphQL view for each operation a socket starts; every log line
written while they are set carries them (a task started meanwhile inherits them).
"""

from __future__ import annotations

import re
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
operation_id: ContextVar[str | None] = ContextVar("operation_id", default=None)

# A client's own id is kept when it is one: bounded, and nothing that could forge a log
# line or a header (no spaces, quotes, control characters).
MAX_REQUEST_ID_LENGTH = 128
_SAFE = "A-Za-z0-9._:+/=@-"
_SANE = re.compile(f"[{_SAFE}]{{1,{MAX_REQUEST_ID_LENGTH}}}")
_UNSAFE = re.compile(f"[^{_SAFE}]")


def sane_request_id(value: str | None) -> str | None:
    """`value` if it may serve as a request id, else None."""
    if value is None or _SANE.fullmatch(value) is None:
        return None
    return value


def loggable_id(value: str) -> str:
    """A client's operation id as it may go in a log line: unsafe characters replaced."""
    return _UNSAFE.sub("?", value[:MAX_REQUEST_ID_LENGTH])
