"""Every root field of the schema, found by introspection, answers a portal contact with
FORBIDDEN unless it belongs to the portal, and an anonymous caller with UNAUTHENTICATED
unless it signs in. A field added later is covered without this test being touched.
"""

from __future__ import annotations

from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.client import Api
from tests.support.introspection import introspected, schema_types

PORTAL_FIELDS = {
    "viewer",
    "node",
    "login",
    "portalLogin",
    "logout",
    "portalCases",
    "portalCase",
    "portalSendMessage",
    "portalChangePassword",
    "conversationMessageAdded",
}
ANONYMOUS_FIELDS = {"login", "portalLogin", "requestPasswordReset", "resetPassword"}

_SCALARS = {
    "ID": '"UG9ydGFsQ2FzZTox"',
    "String": '"x"',
    "Int": "1",
    "Float": "1.5",
    "Boolean": "true",
    "DateTime": '"2026-01-01T00:00:00+00:00"',
    "Date": '"2026-01-01"',
    "JSON": "{}",
}


def _named(type_ref: dict[str, Any]) -> dict[str, Any]:
    while type_ref["ofType"] is not None:
        type_ref = type_ref["ofType"]
    return type_ref


def _required(value: dict[str, Any]) -> bool:
    return value["type"]["kind"] == "NON_NULL" and value.get("defaultValue") is None


def literal(type_ref: dict[str, Any]) -> str:
    """A valid value of this input type, with every required field filled in."""
    kind = type_ref["kind"]
    if kind == "NON_NULL":
        return literal(type_ref["ofType"])
    if kind == "LIST":
        return f"[{literal(type_ref['ofType'])}]"
    definition = schema_types()[type_ref["name"]]
    if kind == "SCALAR":
        return _SCALARS.get(type_ref["name"], '"x"')
    if kind == "ENUM":
        return str(definition["enumValues"][0]["name"])
    fields = [f for f in definition["inputFields"] if _required(f)]
    return "{" + ", ".join(f"{f['name']}: {literal(f['type'])}" for f in fields) + "}"


def document(operation: str, field: dict[str, Any]) -> str:
    """The smallest valid operation calling `field`: required arguments, `__typename` only."""
    arguments = [a for a in field["args"] if _required(a)]
    args = ", ".join(f"{a['name']}: {literal(a['type'])}" for a in arguments)
    call = f"{field['name']}({args})" if args else field["name"]
    composite = _named(field["type"])["kind"] in ("OBJECT", "INTERFACE", "UNION")
    return f"{operation} {{ {call}{' { __typename }' if composite else ''} }}"


def root_fields() -> list[tuple[str, dict[str, Any]]]:
    schema = introspected()["__schema"]
    types = schema_types()
    found = []
    for operation in ("query", "mutation", "subscription"):
        root = schema[f"{operation}Type"]
        if root is not None:
            found += [(operation, f) for f in types[root["name"]]["fields"]]
    # Signing out last: it revokes the token the walk uses.
    return sorted(found, key=lambda entry: entry[1]["name"] == "logout")


async def _subscribe_anonymously(api: Api, query: str) -> None:
    async with api.ws(None) as socket:
        await socket.subscribe(query)
        await socket.receive()


async def error_codes(api: Api, operation: str, query: str, token: str | None) -> list[str]:
    if operation != "subscription":
        return await api.error_codes(query, token=token)
    if token is None:
        # Subscriptions run over the socket, which refuses a caller without a token at once.
        with pytest.raises(ConnectionClosed) as closed:
            await _subscribe_anonymously(api, query)
        assert closed.value.rcvd is not None
        return ["UNAUTHENTICATED"] if closed.value.rcvd.code == 4403 else [str(closed.value)]
    async with api.ws(token) as socket:
        operation_id = await socket.subscribe(query)
        message = await socket.receive()
        assert message["id"] == operation_id, message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        return [e.get("extensions", {}).get("code") for e in errors or []]


async def test_every_root_field_is_closed_to_the_portal_unless_it_belongs_there(
    api: Api,
) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    fields = root_fields()
    names = {field["name"] for _operation, field in fields}
    assert {"portalCases", "portalCase", "portalSendMessage", "sendCustomerMessage"} <= names

    answered = set()
    for operation, field in fields:
        query = document(operation, field)
        codes = await error_codes(api, operation, query, contact["token"])
        if field["name"] in PORTAL_FIELDS:
            # Queries and mutations of the portal answer these dummy arguments cleanly
            # (null, or userErrors); a subscription may refuse its dummy case otherwise.
            assert "FORBIDDEN" not in codes, (query, codes)
            assert operation == "subscription" or codes == [], (query, codes)
            answered.add(field["name"])
        else:
            assert codes == ["FORBIDDEN"], (query, codes)
    assert answered == names & PORTAL_FIELDS


async def test_every_root_field_but_sign_in_needs_a_signed_in_caller(api: Api) -> None:
    for operation, field in root_fields():
        if field["name"] in ANONYMOUS_FIELDS:
            continue
        query = document(operation, field)
        assert await error_codes(api, operation, query, None) == ["UNAUTHENTICATED"], query
