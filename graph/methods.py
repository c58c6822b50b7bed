"""A request with a method its route does not take: 405 with `Allow`, as GraphQL-shaped JSON.

Starlette would answer such a request in plain text; every answer of ours is JSON.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from graph.over_http import error_response

METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"


def method_not_allowed(scope: Scope) -> Response | None:
    """The 405 for an HTTP request whose path is one of the app's routes but whose method
    is not; None when a route takes it, or when no route has its path (that is a 404)."""
    allowed: set[str] = set()
    for route in getattr(scope.get("app"), "routes", ()):
        match, _child = route.matches(scope)
        if match is Match.FULL:
            return None
        if match is Match.PARTIAL and isinstance(route, Route) and route.methods:
            allowed |= route.methods
    if not allowed:
        return None
    methods = ", ".join(sorted(allowed))
    response = error_response(
        Request(scope),
        405,
        f"{scope['method']} is not allowed here; use {methods}.",
        METHOD_NOT_ALLOWED,
    )
    response.headers["Allow"] = methods
    return response
