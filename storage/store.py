"""The file store's interface, and the keys files are stored under."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from typing import BinaryIO, Protocol

# Bytes read or written at a time: a file is never held whole in memory.
CHUNK_BYTES = 64 * 1024


class FileStore(Protocol):
    async def put(self, key: str, source: BinaryIO) -> None:
        """Stores everything `source` holds from its start under `key`, whole or not at all."""

    async def open(self, key: str) -> AsyncIterator[bytes] | None:
        """The bytes under `key` in chunks, or None when there are none."""

    async def delete(self, keys: Sequence[str]) -> None:
        """Removes the files under `keys`; one already gone is no error."""

    async def close(self) -> None: ...


def new_key() -> str:
    """A key no one can guess (it is part of a download link) or collide with."""
    return secrets.token_hex(16)


def is_key(text: str) -> bool:
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)
