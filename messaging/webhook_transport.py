"""Webhook deliveries over HTTP: a signed JSON POST to the webhook's URL, never elsewhere.

Each attempt resolves the URL's host, checks every address (domain/webhook_destinations.py)
and connects to a checked address itself, naming the host in `Host` and, over TLS, in SNI
and the certificate check: a name that resolves elsewhere by the time of the connection
cannot take the request to a private address. No proxy from the environment, no
redirects (a 3xx fails the delivery), no connection kept for another delivery.

    2xx                                   SENT
    408, 429, 5xx, timeout, no connection try again (the outbox's backoff), then FAILED
    any other status, a refused address   FAILED at once
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from db.engine import Database
from db.models import OutboxMessage, Webhook
from domain.webhook_destinations import (
    Destination,
    RefusedDestination,
    UnresolvedDestination,
    destination,
)
from domain.webhooks import GLOBAL_ID
from messaging.transport import PermanentFailure, TemporaryFailure

# Makes the staff global id of (type name, primary key).
GlobalIds = Callable[[str, int], str]

USER_AGENT = "WorkCloud-Webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`."""
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _with_global_ids(value: Any, global_id: GlobalIds) -> Any:
    if isinstance(value, dict):
        if value.keys() == {GLOBAL_ID}:
            type_name, pk = value[GLOBAL_ID]
            return global_id(type_name, pk)
        return {key: _with_global_ids(item, global_id) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_global_ids(item, global_id) for item in value]
    return value


def payload(message: OutboxMessage, global_id: GlobalIds) -> bytes:
    """The body of every attempt at a delivery: `{id event occurredAt tenantId data}`."""
    stored = orjson.loads(message.body)
    return orjson.dumps(
        {
            "id": global_id("WebhookDelivery", message.id),
            "event": message.subject,
            "occurredAt": stored["occurredAt"],
            "tenantId": global_id("Tenant", message.tenant_id),
            "data": _with_global_ids(stored["data"], global_id),
        }
    )


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _failure(status: int) -> PermanentFailure | TemporaryFailure | None:
    if 200 <= status < 300:
        return None
    if status in (408, 429) or status >= 500:
        return TemporaryFailure(f"the endpoint answered {status}", response_status=status)
    if 300 <= status < 400:
        reason = f"the endpoint answered {status}, a redirect, which webhooks do not follow"
        return PermanentFailure(reason, response_status=status)
    return PermanentFailure(f"the endpoint answered {status}", response_status=status)


class WebhookTransport:
    def __init__(
        self, db: Database, *, global_id: GlobalIds, timeout: float, allow_private: bool
    ) -> None:
        self.db = db
        self.global_id = global_id
        self.timeout = timeout
        self.allow_private = allow_private
        self._client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
            # A connection is made for one checked address and one server name: none is
            # pooled, so none serves a request to another host on the same address.
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def _webhook(self, message: OutboxMessage) -> Webhook | None:
        async with self.db.session(None) as session:
            return await session.get(Webhook, message.webhook_id) if message.webhook_id else None

    async def deliver(self, message: OutboxMessage) -> int:
        webhook = await self._webhook(message)
        if webhook is None or webhook.tenant_id != message.tenant_id:
            raise PermanentFailure("the webhook has been deleted")
        body = payload(message, self.global_id)
        try:
            async with asyncio.timeout(self.timeout):
                target = await destination(webhook.url, allow_private=self.allow_private)
                status = await self._post(target, webhook.secret, message, body)
        except RefusedDestination as error:
            raise PermanentFailure(str(error)) from error
        except TimeoutError as error:
            raise TemporaryFailure(f"no answer within {self.timeout:g} s") from error
        except (UnresolvedDestination, httpx.HTTPError, OSError) as error:
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
        failure = _failure(status)
        if failure is not None:
            raise failure
        return status

    async def _post(
        self, target: Destination, secret: str, message: OutboxMessage, body: bytes
    ) -> int:
        timestamp = int(time.time())
        literal = _is_address(target.host)
        host = f"[{target.host}]" if literal and ":" in target.host else target.host
        port = "" if target.url.port is None else f":{target.url.port}"
        headers = {
            "Host": host + port,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-WorkCloud-Event": message.subject or "",
            "X-WorkCloud-Delivery": self.global_id("WebhookDelivery", message.id),
            "X-WorkCloud-Timestamp": str(timestamp),
            "X-WorkCloud-Signature": signature(secret, timestamp, body),
        }
        named = target.url.scheme == "https" and not literal
        extensions = {"sni_hostname": target.host} if named else {}
        last: httpx.ConnectError | None = None
        # Each checked address in turn, until one takes the connection.
        for address in target.addresses:
            request = self._client.build_request(
                "POST",
                target.url.copy_with(host=address),
                content=body,
                headers=headers,
                extensions=extensions,
            )
            try:
                response = await self._client.send(request, stream=True)
            except httpx.ConnectError as error:
                last = error
                continue
            # The answer's body is not read: a delivery needs only its status.
            await response.aclose()
            return response.status_code
        assert last is not None
        raise last

    async def close(self) -> None:
        await self._client.aclose()
