"""Global ids tell nothing of primary keys: not how many objects other tenants made between
two of mine, not one type's key from another's. Tampered ids name nothing; ids stay the same
across instances and restarts; ids handed out before the key existed keep working."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
from typing import Any

from graph.ids import parse_global_id, pk_of, to_global_id
from tests.support.client import Api, Tenant
from tests.test_security import CREATORS, node_types

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
ADD_COMMENT = """mutation($c: ID!, $b: String!) { addComment(input: {caseId: $c, body: $b}) {
  comment { id } userErrors { code } } }"""
UPDATE_CASE = """mutation($id: ID!) { updateCase(input: {id: $id, title: "Ändrad"}) {
  case { id } userErrors { code } } }"""
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def raw(global_id: str) -> bytes:
    return base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4))


def legacy_id(type_name: str, pk: int) -> str:
    """The form ids had before they were enciphered, as clients may have saved them."""
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def block(global_id: str, type_name: str) -> int:
    """The enciphered part of an id, after checking that nothing else is in it."""
    decoded = raw(global_id)
    assert re.fullmatch(re.escape(type_name.encode()) + rb"\.[\x00-\xff]{8}", decoded), decoded
    return int.from_bytes(decoded[-8:], "big")


def assert_unrelated(ids: list[str], type_name: str) -> None:
    pks = [pk_of(i, type_name) for i in ids]
    assert None not in pks
    blocks = [block(i, type_name) for i in ids]
    for global_id, enciphered, pk in zip(ids, blocks, pks, strict=True):
        assert pk is not None
        assert f"{type_name}:".encode() not in raw(global_id)
        # Not the key, nor any small number, read either way round.
        little = int.from_bytes(enciphered.to_bytes(8, "big"), "little")
        assert min(enciphered, little) > 2**40, (global_id, pk)
    # Consecutive keys, but no two ids near each other or a constant step apart.
    steps = [b - a for a, b in itertools.pairwise(blocks)]
    assert all(abs(step) > 2**32 for step in steps), steps
    assert len(set(steps)) == len(steps)


async def test_consecutive_objects_get_unrelated_ids(api: Api) -> None:
    tenant = await api.new_tenant()
    cases = [await tenant.create_case(f"Ärende {i}") for i in range(6)]
    assert sorted(pk_of(c, "Case") or 0 for c in cases) == [pk_of(c, "Case") for c in cases]
    assert_unrelated(cases, "Case")

    comments = []
    for i in range(5):
        data = await api.data(ADD_COMMENT, {"c": cases[0], "b": f"nr {i}"}, tenant.admin_token)
        comments.append(data["addComment"]["comment"]["id"])
    assert_unrelated(comments, "Comment")

    users = [(await tenant.create_user(f"Person {i}"))["id"] for i in range(4)]
    assert_unrelated(users, "User")


async def test_the_same_key_of_two_types_gives_unrelated_ids(api: Api) -> None:
    tenant = await api.new_tenant()
    case_id = await tenant.create_case()
    case_pk = pk_of(case_id, "Case")
    assert case_pk is not None
    # The staff id of a case and its id as the customer's portal sees it.
    portal_id = to_global_id("PortalCase", case_pk)
    assert block(case_id, "Case") != block(portal_id, "PortalCase")
    data = await api.data(NODE, {"id": portal_id}, tenant.admin_token)
    assert data["node"] == {"__typename": "PortalCase", "id": portal_id}
    for pk in [1, 2, case_pk]:
        blocks = {block(to_global_id(name, pk), name) for name in ["Case", "User", "Comment"]}
        assert len(blocks) == 3


async def _legacy_probe(api: Api, tenant: Tenant, pks: range) -> list[Any]:
    found = []
    for pk in pks:
        data = await api.data(NODE, {"id": legacy_id("Case", pk)}, tenant.admin_token)
        found.append(data["node"])
    return found


async def test_writes_of_another_tenant_leave_no_trace_in_my_ids(api: Api) -> None:
    mine = await api.new_tenant("Min AB")
    theirs = await api.new_tenant("Deras AB")
    first = await mine.create_case("Före")
    for i in range(5):
        await theirs.create_case(f"Deras {i}")
    second = await mine.create_case("Efter")
    third = await mine.create_case("Direkt efter")
    # Five of their cases lie between my first and second, none between my second and
    # third: my ids look alike either way.
    assert_unrelated([first, second, third], "Case")
    # Nor can I find my cases' keys by asking for ids of the old, readable form: those
    # name only objects from before the key existed, even my own.
    pks = [pk_of(i, "Case") or 0 for i in [first, second, third]]
    assert await _legacy_probe(api, mine, range(min(pks) - 2, max(pks) + 3)) == [None] * (
        max(pks) - min(pks) + 5
    )
    refused = await api.data(UPDATE_CASE, {"id": legacy_id("Case", pks[1])}, mine.admin_token)
    assert refused["updateCase"]["userErrors"] == [{"code": "NOT_FOUND"}]


async def test_every_node_type_round_trips(api: Api) -> None:
    owner = await api.new_tenant("Ägare AB")
    for type_name in node_types():
        global_id = await CREATORS[type_name](owner)
        parsed = parse_global_id(global_id)
        assert parsed is not None, type_name
        assert parsed[0] == type_name
        assert to_global_id(*parsed) == global_id
        block(global_id, type_name)
        if type_name != "Notification":  # a notification is its receiver's alone
            data = await api.data(NODE, {"id": global_id}, owner.admin_token)
            assert data["node"] == {"__typename": type_name, "id": global_id}, type_name


def tampered(global_id: str) -> list[str]:
    """Every one-character change of `global_id`, and a few other shapes of tampering."""
    shapes = {global_id[:-1], global_id + "A", global_id + "==", global_id + ".", global_id[1:]}
    shapes.add(global_id.swapcase())
    for i, char in enumerate(global_id):
        for other in {BASE64URL[(BASE64URL.index(char) + step) % 64] for step in (1, 2, 32)}:
            shapes.add(global_id[:i] + other + global_id[i + 1 :])
    shapes.discard(global_id)
    return sorted(shapes)


async def test_a_tampered_id_names_nothing(api: Api) -> None:
    tenant = await api.new_tenant()
    cases = [await tenant.create_case(f"Ärende {i}") for i in range(4)]
    target = cases[1]
    # Another type's name over the same enciphered key.
    as_user = base64.urlsafe_b64encode(b"User." + raw(target)[-8:]).decode().rstrip("=")
    shapes = [*tampered(target), as_user]
    assert len(shapes) > 3 * len(target)
    answers = await asyncio.gather(
        *(api.post(NODE, {"id": shape}, tenant.admin_token) for shape in shapes)
    )
    found = [(s, a) for s, a in zip(shapes, answers, strict=True) if a != {"data": {"node": None}}]
    assert found == []
    for shape in shapes[:: max(1, len(shapes) // 8)]:
        data = await api.data(UPDATE_CASE, {"id": shape}, tenant.admin_token)
        assert data["updateCase"] == {"case": None, "userErrors": [{"code": "NOT_FOUND"}]}
    # The untampered id still works.
    data = await api.data(NODE, {"id": target}, tenant.admin_token)
    assert data["node"] == {"__typename": "Case", "id": target}


async def test_page_cursors_hide_primary_keys_too(api: Api) -> None:
    tenant = await api.new_tenant()
    for i in range(6):
        await tenant.create_case(f"Ärende {i}")
    page = await api.data(
        "{ cases(orderBy: [{field: NUMBER, direction: ASC}]) { edges { cursor node { id } } } }",
        token=tenant.admin_token,
    )
    edges = page["cases"]["edges"]
    pks = [pk_of(edge["node"]["id"], "Case") for edge in edges]
    # The cursor's last value stands for the case's key, but is not it nor near it.
    last_values = [json.loads(raw(edge["cursor"]))[-1] for edge in edges]
    for value, pk in zip(last_values, pks, strict=True):
        assert value != pk
        assert value > 2**40
    steps = [b - a for a, b in itertools.pairwise(last_values)]
    assert all(abs(step) > 2**32 for step in steps), steps
    # And each still pages on from where it stands.
    after = await api.data(
        """query($after: String) { cases(orderBy: [{field: NUMBER, direction: ASC}],
             after: $after) { edges { node { id } } } }""",
        {"after": edges[2]["cursor"]},
        tenant.admin_token,
    )
    assert [e["node"]["id"] for e in after["cases"]["edges"]] == [
        e["node"]["id"] for e in edges[3:]
    ]
