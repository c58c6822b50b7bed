"""Files in a directory (file:///dir, or file://./dir relative to the working directory).

Each file is written under a temporary name in the same directory and renamed into place
once whole, so a reader never sees half a file, and a failed write leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from storage.store import CHUNK_BYTES, is_key


class LocalFileStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def from_url(cls, url: str) -> LocalFileStore:
        parts = urlsplit(url)
        # file:///srv/files is absolute; file://./files is relative (its "host" is ".").
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise ValueError("WORKCLOUD_STORAGE_URL file:// needs a directory")
        return cls(Path(path))

    def _path(self, key: str) -> Path:
        # Keys are ours (hex), never a client's path: nothing can point outside the directory.
        if not is_key(key):
            raise ValueError("not a storage key")
        return self.directory / key

    async def put(self, key: str, source: BinaryIO) -> None:
        await asyncio.to_thread(self._write, self._path(key), source)

    def _write(self, target: Path, source: BinaryIO) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                source.seek(0)
                shutil.copyfileobj(source, out, CHUNK_BYTES)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    async def open(self, key: str) -> AsyncIterator[bytes] | None:
        if not is_key(key):
            return None
        try:
            handle = await asyncio.to_thread(self._path(key).open, "rb")
        except FileNotFoundError:
            return None
        return _chunks(handle)

    async def delete(self, keys: Sequence[str]) -> None:
        paths = [self._path(k) for k in keys]
        await asyncio.to_thread(_unlink_all, paths)

    async def close(self) -> None:
        return None


async def _chunks(handle: BinaryIO) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
            yield chunk
    finally:
        handle.close()


def _unlink_all(paths: Sequence[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
