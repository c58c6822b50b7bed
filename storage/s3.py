"""Files in an S3 bucket (aioboto3): s3://bucket?endpoint=https://host&region=eu-north-1.

Credentials come as the URL's userinfo (s3://KEY:SECRET@bucket), else from the usual AWS
environment. An object appears whole or not at all: a failed multipart upload is aborted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack
from typing import Any, BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

import aioboto3
from botocore.exceptions import ClientError

from storage.store import CHUNK_BYTES, is_key

# DeleteObjects takes at most this many keys per call.
_DELETE_BATCH = 1000
_MISSING = {"NoSuchKey", "404", "NotFound"}


class S3FileStore:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        self.endpoint = endpoint
        self._session = aioboto3.Session(
            aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region
        )
        self._exits = AsyncExitStack()
        self._client: Any = None
        self._opening = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str) -> S3FileStore:
        parts = urlsplit(url)
        if not parts.hostname:
            raise ValueError("WORKCLOUD_STORAGE_URL must look like s3://bucket?endpoint=...")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return cls(
            # The bucket as written: hostname would fold it to lower case.
            parts.netloc.rpartition("@")[2].partition(":")[0],
            endpoint=query.get("endpoint"),
            region=query.get("region"),
            access_key=unquote(parts.username) if parts.username else None,
            secret_key=unquote(parts.password) if parts.password else None,
        )

    async def _s3(self) -> Any:
        """One client for the life of the store (its connection pool is reused)."""
        async with self._opening:
            if self._client is None:
                client = self._session.client("s3", endpoint_url=self.endpoint)
                self._client = await self._exits.enter_async_context(client)
        return self._client

    async def put(self, key: str, source: BinaryIO) -> None:
        if not is_key(key):
            raise ValueError("not a storage key")
        s3 = await self._s3()
        source.seek(0)
        await s3.upload_fileobj(source, self.bucket, key)

    async def open(self, key: str) -> AsyncIterator[bytes] | None:
        if not is_key(key):
            return None
        s3 = await self._s3()
        try:
            response = await s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        return _chunks(response["Body"])

    async def delete(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        s3 = await self._s3()
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            await s3.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )

    async def close(self) -> None:
        await self._exits.aclose()
        self._client = None


async def _chunks(body: Any) -> AsyncIterator[bytes]:
    try:
        while chunk := await body.read(CHUNK_BYTES):
            yield chunk
    finally:
        body.close()
