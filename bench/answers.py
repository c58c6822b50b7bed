"""Asking a running server once: the bench admin's token, and an answer checked for errors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from bench import database

# Lists that are not items: a case's custom fields (ours as a list per type, the peer's as the
# type's JSON definitions), which the two servers shape differently.
NOT_ITEMS = frozenset({"customFields", "fields"})


@dataclass(frozen=True)
class Answer:
    data: dict[str, Any]
    size: int  # bytes of the response body

    @property
    def items(self) -> int:
        return count_items(self.data)


def sign_in(url: str) -> str:
    response = httpx.post(
        url,
        json={
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            "variables": {"e": database.ADMIN_EMAIL, "p": database.PASSWORD},
        },
        timeout=30,
    )
    token: str = response.json()["data"]["login"]["token"]
    return token


def ask(url: str, body: dict[str, Any], token: str | None) -> Answer:
    """The server's answer to `body`; exits if it has errors."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(url, json=body, headers=headers, timeout=60)
    answer = response.json()
    if answer.get("errors") or not answer.get("data"):
        raise SystemExit(f"{url} answered with errors: {json.dumps(answer.get('errors'))[:1000]}")
    return Answer(answer["data"], len(response.content))


def count_items(value: Any) -> int:
    """Objects in lists, at any depth: edges, nodes, assigned users, changes, mentions.

    Ours and the peer's answers to equivalent documents have the same count, although the
    peer wraps a many-to-many relation in its join rows and returns JSON columns as JSON.
    """
    if isinstance(value, dict):
        return sum(count_items(v) for k, v in value.items() if k not in NOT_ITEMS)
    if isinstance(value, list):
        return sum(isinstance(v, dict) + count_items(v) for v in value)
    return 0
