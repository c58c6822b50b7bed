"""CORS: which other sites' pages may call the API over HTTP (WORKCLOUD_CORS_ORIGINS).

CORS does not cover WebSockets: the GraphQL view refuses a handshake from any other origin
than the API's own and these (graph/app.py)."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

ALLOW_METHODS = ("GET", "POST", "OPTIONS")
# What GraphQL clients send: the token, JSON, a request id to trace, the header that lets a
# multipart upload through (graph/app.py), and Apollo Client's operation name.
ALLOW_HEADERS = (
    "authorization",
    "content-type",
    "x-request-id",
    "apollo-require-preflight",
    "x-apollo-operation-name",
)
# What a page's script may read of an answer: the request id to report, and how long a
# refusal asks it to wait.
EXPOSE_HEADERS = ("x-request-id", "retry-after")
# Each answer to a preflight may be kept by the browser this long, in seconds.
PREFLIGHT_MAX_AGE = 600


def cors(origins: Sequence[str]) -> Middleware:
    """CORS for the listed origins. No credentials: the API signs in by a bearer token that
    a script sends, never by cookies."""
    return Middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=ALLOW_METHODS,
        allow_headers=ALLOW_HEADERS,
        expose_headers=EXPOSE_HEADERS,
        max_age=PREFLIGHT_MAX_AGE,
    )
