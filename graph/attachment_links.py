"""Signed download links: `<public url>/attachments/<key>?expires=<unix s>&signature=<hex>`.

The signature is an HMAC-SHA256 of the key and the expiry under a key derived from the id
key, which every instance on the database shares: a link made by one works on all. A link
needs no sign-in, so it is only handed to whoever may see the attachment, and expires.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

from config.settings import Settings
from db.engine import Database
from graph.id_key import id_secret

_PURPOSE = b"workcloud attachment download links"


class AttachmentLinks:
    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings
        self._key: bytes | None = None

    async def _signing_key(self) -> bytes:
        if self._key is None:
            secret = await id_secret(self._db, self._settings.id_key)
            self._key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
        return self._key

    async def _signature(self, key: str, expires: int) -> str:
        message = f"{key}:{expires}".encode()
        return hmac.new(await self._signing_key(), message, hashlib.sha256).hexdigest()

    async def url(self, key: str, now: float | None = None) -> str:
        expires = int(now if now is not None else time.time()) + (
            self._settings.attachment_url_ttl_seconds
        )
        query = urlencode({"expires": expires, "signature": await self._signature(key, expires)})
        return f"{self._settings.public_url.rstrip('/')}/attachments/{key}?{query}"

    async def valid(self, key: str, expires: str, signature: str, now: float | None = None) -> bool:
        """Whether the link is ours and has not expired."""
        if not expires.isdigit() or len(expires) > 12:
            return False
        expected = await self._signature(key, int(expires))
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            return False
        return int(expires) >= (now if now is not None else time.time())
