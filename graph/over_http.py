"""GraphQL over HTTP: response media types, status codes, and errors that are always JSON.

A client that asks for `application/graphql-response+json` gets it, with the spec's
status codes: a request that never reached execution (unparsable, invalid, bad variables)
is a 4xx without `data`. Plain `application/json` keeps the legacy rule: 200 for every
well-formed request. Errors raised before GraphQL runs (bad JSON, wrong method, too big)
are GraphQL-shaped JSON too, never plain text and never an HTML error page.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult

log = logging.getLogger("workcloud")

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"


def _quality(accept: str, media_type: str) -> float:
    """The q-value `accept` gives `media_type` exactly (wildcards give nothing)."""
    best = 0.0
    for part in accept.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        if name.lower() != media_type:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best = max(best, quality)
    return best


def response_media_type(request: Request) -> str:
    """`application/graphql-response+json` when the client prefers it, else JSON."""
    accept = request.headers.get("accept", "")
    wanted = _quality(accept, GRAPHQL_RESPONSE_JSON)
    return (
        GRAPHQL_RESPONSE_JSON
        if wanted > 0 and wanted >= _quality(accept, APPLICATION_JSON)
        else APPLICATION_JSON
    )


def is_request_error(result: ExecutionResult) -> bool:
    """Whether the request failed before execution: no data, and no error has a path."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


def error_response(
    request: Request, status_code: int, message: str, code: str | None = None
) -> Response:
    error: dict[str, Any] = {"message": message}
    if code is not None:
        error["extensions"] = {"code": code}
    return Response(
        json.dumps({"errors": [error]}),
        status_code=status_code,
        media_type=response_media_type(request),
    )


class GraphQLOverHTTP:
    """Mixed into the Strawberry view: negotiation and status codes per the spec."""

    def decode_json(self, data: str | bytes) -> object:
        """JSON; nesting too deep for the decoder is malformed (400, or 4400 on a socket)."""
        try:
            return json.loads(data)
        except RecursionError:
            text = data if isinstance(data, str) else data.decode("utf-8", "replace")
            raise json.JSONDecodeError("Nested too deeply", text, 0) from None

    def parse_json(self, data: str | bytes) -> Any:
        try:
            parsed = self.decode_json(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise HTTPException(400, "Unable to parse request body as JSON") from error
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        return parsed

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = process_result(result)
        if response_media_type(request) == GRAPHQL_RESPONSE_JSON and is_request_error(result):
            response.pop("data", None)
            request.state.graphql_status = 400
        return response

    @staticmethod
    def finish(request: Request, response: Response) -> Response:
        """Sets the negotiated media type and status on a GraphQL result response."""
        if response.media_type == APPLICATION_JSON:
            media_type = response_media_type(request)
            if media_type != APPLICATION_JSON:
                response.headers["content-type"] = f"{media_type}; charset=utf-8"
            status = getattr(request.state, "graphql_status", None)
            if status is not None:
                response.status_code = status
        return response
