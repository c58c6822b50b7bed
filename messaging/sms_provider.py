"""The SMS provider's HTTP API: the only module that knows its request format.

WORKCLOUD_SMS_URL is the provider's send endpoint with the account's credentials as
userinfo, e.g. https://API_USER:API_PASSWORD@api.46elks.com/a1/sms. Each SMS is one
form-encoded POST (`from`, `to` in E.164, `message`) with HTTP basic auth, the format of
46elks and of most Nordic SMS gateways; the provider answers 2xx once it has accepted
the message.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from db.models import OutboxMessage
from messaging.transport import PermanentFailure, TemporaryFailure


def _endpoint(url: str) -> tuple[str, httpx.BasicAuth | None]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("WORKCLOUD_SMS_URL must look like https://user:pass@host/path")
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    auth = None
    if parts.username is not None:
        auth = httpx.BasicAuth(unquote(parts.username), unquote(parts.password or ""))
    return urlunsplit((parts.scheme, host, parts.path, parts.query, "")), auth


class SmsProvider:
    def __init__(self, url: str, *, sender: str, timeout: float) -> None:
        self.endpoint, self._auth = _endpoint(url)
        self.sender = sender
        self._client = httpx.AsyncClient(timeout=timeout)

    async def deliver(self, message: OutboxMessage) -> None:
        form = {"from": self.sender, "to": message.recipient, "message": message.body}
        try:
            response = await self._client.post(
                self.endpoint, data=form, auth=self._auth or httpx.USE_CLIENT_DEFAULT
            )
        except httpx.HTTPError as error:
            raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
        if response.is_success:
            return
        reason = f"provider answered {response.status_code}: {response.text[:300]}"
        # Rate limits and the provider's own trouble pass; a rejected request does not.
        if response.status_code in (408, 429) or response.status_code >= 500:
            raise TemporaryFailure(reason)
        raise PermanentFailure(reason)

    async def close(self) -> None:
        await self._client.aclose()
