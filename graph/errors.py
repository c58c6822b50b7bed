"""How an error becomes a GraphQL error: the contract's codes, masking, and logging.

Errors a client caused are answers: they carry the codes of the public contract (those
made here, and those of domain/errors.py, which the domain raises) and are never logged.
Unexpected failures are our own faults: logged in full, and reported without internals.
A database or Redis that is away is SERVICE_UNAVAILABLE (try again); anything else
unexpected is INTERNAL_SERVER_ERROR. Neither message carries SQL, hosts or stack traces:
those go to the log only.
"""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from asyncpg.exceptions import PostgresConnectionError
from graphql import GraphQLError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from domain.errors import DomainError
from graph.library_internals import log_fault

BAD_USER_INPUT = "BAD_USER_INPUT"
RATE_LIMITED = "RATE_LIMITED"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
UNAVAILABLE_MESSAGE = "The service is temporarily unavailable; try again shortly."
INTERNAL_MESSAGE = "Something went wrong on our side."


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": BAD_USER_INPUT})


def rate_limited(retry_after: int, what: str = "Too many failed sign-ins") -> GraphQLError:
    return GraphQLError(
        f"{what}; try again in {retry_after} seconds.",
        extensions={"code": RATE_LIMITED, "retryAfter": retry_after},
    )


_OUTAGES = (
    OperationalError,
    InterfaceError,
    PoolTimeout,
    PostgresConnectionError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
)


def is_outage(error: BaseException) -> bool:
    """Whether `error` means a backing service (database, Redis) cannot be reached."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, _OUTAGES):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def classify(error: BaseException) -> tuple[str, str]:
    """(code, message) to report for an unexpected exception."""
    if is_outage(error):
        return SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE
    return INTERNAL_SERVER_ERROR, INTERNAL_MESSAGE


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, (GraphQLError, DomainError))


def _anonymised(error: GraphQLError) -> GraphQLError:
    assert error.original_error is not None
    code, message = classify(error.original_error)
    return GraphQLError(
        message=message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={"code": code},
    )


def mask_unexpected(errors: Sequence[GraphQLError]) -> list[GraphQLError]:
    """What MaskUnexpectedErrors does, for results produced outside an operation."""
    return [_anonymised(e) if _is_unexpected(e) else e for e in errors]


class MaskUnexpectedErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=_is_unexpected)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return _anonymised(error)


class FaultLoggingSchema(strawberry.Schema):
    """Logs only our own faults: an error the client caused (not signed in, not allowed, an
    invalid document or input) is an answer, and anyone could fill the log with them."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if _is_unexpected(error):
                log_fault(error, execution_context)
