"""The GraphQL edge: Strawberry schema, Starlette app, context and sign-in."""
