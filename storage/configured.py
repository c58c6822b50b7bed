"""The file store WORKCLOUD_STORAGE_URL names."""

from __future__ import annotations

from urllib.parse import urlsplit

from storage.local import LocalFileStore
from storage.s3 import S3FileStore
from storage.store import FileStore


def open_store(url: str) -> FileStore:
    scheme = urlsplit(url).scheme
    if scheme == "file":
        return LocalFileStore.from_url(url)
    if scheme == "s3":
        return S3FileStore.from_url(url)
    raise ValueError("WORKCLOUD_STORAGE_URL must be file:///dir or s3://bucket?endpoint=...")
