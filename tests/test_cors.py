"""Pages of the origins in WORKCLOUD_CORS_ORIGINS may call the API from a browser, over HTTP
(CORS preflights and answers) and WebSocket; pages of any other site may not, and a
WebSocket handshake from one is refused before it is accepted."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from websockets.exceptions import InvalidStatus

from config.settings import Settings
from tests.support.client import Api

APP = "https://app.kvarnen.se"
DEV = "http://localhost:5173"
ELSEWHERE = "https://evil.example"
PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]
VIEWER = "{ viewer { kind } }"

StartApi = Callable[..., AbstractAsyncContextManager[Api]]


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }


def listed(header: str | None) -> set[str]:
    return {item.strip().lower() for item in (header or "").split(",") if item.strip()}


async def handshake(api: Api, protocol: str, origin: str | None, token: str) -> int:
    """101 when a socket from `origin` is accepted (and it signs in), else the HTTP status
    its handshake is refused with."""
    try:
        async with api.raw_ws(protocol, origin=origin) as socket:
            init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            await socket.send(json.dumps(init))
            answer = json.loads(await socket.recv())
            assert answer["type"] == "connection_ack", answer
            return 101  # Switching Protocols
    except InvalidStatus as refused:
        return refused.response.status_code


async def test_a_listed_origin_may_call_over_http_and_another_may_not(
    api_with: StartApi,
) -> None:
    async with api_with(cors_origins=[APP, DEV]) as api:
        allowed = await api.http.options("/graphql", headers=preflight(APP))
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == APP
        assert {"post", "get", "options"} <= listed(allowed.headers["access-control-allow-methods"])
        assert {
            "authorization",
            "content-type",
            "x-request-id",
            "apollo-require-preflight",
            "x-apollo-operation-name",
        } <= listed(allowed.headers["access-control-allow-headers"])
        # Bearer tokens only: no cookies go along.
        assert "access-control-allow-credentials" not in allowed.headers
        assert (await api.http.options("/graphql", headers=preflight(DEV))).status_code == 200

        refused = await api.http.options("/graphql", headers=preflight(ELSEWHERE))
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers

        answer = await api.http.post("/graphql", json={"query": VIEWER}, headers={"Origin": APP})
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == APP
        assert {"x-request-id", "retry-after"} <= listed(
            answer.headers["access-control-expose-headers"]
        )
        assert answer.headers["x-request-id"]
        # Answered, as to any client, but the browser keeps it from the other site's page.
        other = await api.http.post(
            "/graphql", json={"query": VIEWER}, headers={"Origin": ELSEWHERE}
        )
        assert other.status_code == 200
        assert "access-control-allow-origin" not in other.headers


async def test_a_websocket_from_an_origin_not_listed_is_refused_before_it_opens(
    api_with: StartApi,
) -> None:
    async with api_with(cors_origins=[APP]) as api:
        token = (await api.new_tenant()).admin_token
        for protocol in PROTOCOLS:
            assert await handshake(api, protocol, APP, token) == 101, protocol
            assert await handshake(api, protocol, ELSEWHERE, token) == 403, protocol
            assert await handshake(api, protocol, "null", token) == 403, protocol
            # No browser's: a server, a script, a native app.
            assert await handshake(api, protocol, None, token) == 101, protocol


async def test_by_default_only_the_apis_own_pages_and_non_browsers_get_in(api: Api) -> None:
    assert api.settings.cors_origins == []
    refused = await api.http.options("/graphql", headers=preflight(APP))
    assert "access-control-allow-origin" not in refused.headers
    answer = await api.http.post("/graphql", json={"query": VIEWER}, headers={"Origin": APP})
    assert "access-control-allow-origin" not in answer.headers

    token = (await api.new_tenant()).admin_token
    for protocol in PROTOCOLS:
        # GraphiQL, served by the API itself, opens its socket from the API's own origin.
        assert await handshake(api, protocol, api.base_url, token) == 101, protocol
        assert await handshake(api, protocol, APP, token) == 403, protocol
        assert await handshake(api, protocol, None, token) == 101, protocol


async def test_a_star_lets_every_origin_in(api_with: StartApi) -> None:
    async with api_with(cors_origins=["*"]) as api:
        allowed = await api.http.options("/graphql", headers=preflight(ELSEWHERE))
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "*"
        token = (await api.new_tenant()).admin_token
        assert await handshake(api, "graphql-transport-ws", ELSEWHERE, token) == 101


@pytest.mark.parametrize(
    "value",
    [
        f"{APP},{DEV}",
        f" {APP} , {DEV} ,",
        json.dumps([APP, DEV]),
        f'["{APP.upper()}", "{DEV}"]',
        f"{APP}:443,{DEV}",
    ],
    # As browsers send them: lower case, without the scheme's default port.
    ids=["commas", "spaces", "json", "capitals", "default-port"],
)
def test_origins_come_comma_separated_or_as_a_json_list(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKCLOUD_CORS_ORIGINS", value)
    assert Settings(_env_file=None).cors_origins == [APP, DEV]  # type: ignore[call-arg]


def test_none_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKCLOUD_CORS_ORIGINS", raising=False)
    assert Settings(_env_file=None).cors_origins == []  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "value", [f"{APP}/", "app.kvarnen.se", "ftp://files.kvarnen.se", f"[{APP}"]
)
def test_an_origin_that_is_no_origin_is_refused(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKCLOUD_CORS_ORIGINS", value)
    with pytest.raises(ValueError, match="expected"):
        Settings(_env_file=None)  # type: ignore[call-arg]
