"""GraphQL errors with the codes of the public contract."""

from __future__ import annotations

from graphql import GraphQLError

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
BAD_USER_INPUT = "BAD_USER_INPUT"
RATE_LIMITED = "RATE_LIMITED"


def unauthenticated() -> GraphQLError:
    return GraphQLError("You must be signed in.", extensions={"code": UNAUTHENTICATED})


def forbidden(message: str = "You may not do this.") -> GraphQLError:
    return GraphQLError(message, extensions={"code": FORBIDDEN})


def bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": BAD_USER_INPUT})


def rate_limited(retry_after: int, what: str = "Too many failed sign-ins") -> GraphQLError:
    return GraphQLError(
        f"{what}; try again in {retry_after} seconds.",
        extensions={"code": RATE_LIMITED, "retryAfter": retry_after},
    )
