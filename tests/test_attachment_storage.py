"""The file stores: a directory, and S3 (against moto's S3 server, a real HTTP server)."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import aioboto3
import pytest
from moto.server import ThreadedMotoServer

from storage.configured import open_store
from storage.local import LocalFileStore
from storage.s3 import S3FileStore
from storage.store import FileStore, new_key
from tests.support.client import Api
from tests.support.processes import free_port
from tests.test_attachments import add, download
from tests.test_customer_conversation import conversation


class Unreadable(io.BytesIO):
    """A source that fails halfway through, as a broken upload would."""

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() > 0:
            raise OSError("connection lost")
        return super().read(70_000)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def s3_url(s3_endpoint: str) -> str:
    # moto keeps its buckets per process: a bucket of this module's own set-up.
    bucket = f"workcloud-{uuid.uuid4().hex[:12]}"
    session = aioboto3.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="eu-north-1"
    )
    async with session.client("s3", endpoint_url=s3_endpoint) as s3:
        await s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
        )
    return f"s3://test:test@{bucket}?endpoint={s3_endpoint}&region=eu-north-1"


def entries(directory: Path) -> list[Path]:
    return list(directory.iterdir())


async def read_all(store: FileStore, key: str) -> bytes | None:
    chunks = await store.open(key)
    return None if chunks is None else b"".join([c async for c in chunks])


async def stores(tmp_path: Path, s3_url: str) -> AsyncIterator[FileStore]:
    for store in (open_store(f"file://{tmp_path}"), open_store(s3_url)):
        try:
            yield store
        finally:
            await store.close()


async def test_each_store_keeps_bytes_unchanged_and_forgets_them_on_delete(
    tmp_path: Path, s3_url: str
) -> None:
    async for store in stores(tmp_path, s3_url):
        content = os.urandom(300_000)  # several chunks
        key = new_key()
        await store.put(key, io.BytesIO(content))
        assert await read_all(store, key) == content
        assert await read_all(store, new_key()) is None
        assert await store.open("../../etc/passwd") is None
        await store.delete([key, new_key()])  # one that never was is no error
        assert await read_all(store, key) is None


async def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, s3_url: str) -> None:
    async for store in stores(tmp_path, s3_url):
        key = new_key()
        with pytest.raises(OSError, match="connection lost"):
            await store.put(key, Unreadable(os.urandom(200_000)))
        assert await read_all(store, key) is None
    # No temporary file is left in the directory either.
    assert entries(tmp_path) == []


def test_store_urls() -> None:
    local = open_store("file://./attachments")
    assert isinstance(local, LocalFileStore)
    assert local.directory == Path("./attachments")
    assert isinstance(open_store("file:///srv/filer"), LocalFileStore)
    s3 = open_store("s3://KEY:S%2Fecret@Bilagor?endpoint=https://s3.example.se&region=eu-north-1")
    assert isinstance(s3, S3FileStore)
    assert (s3.bucket, s3.endpoint) == ("Bilagor", "https://s3.example.se")
    with pytest.raises(ValueError, match="WORKCLOUD_STORAGE_URL"):
        open_store("ftp://example.se/filer")


async def test_the_server_keeps_attachments_in_s3(
    api_with: Callable[..., AbstractAsyncContextManager[Api]], s3_url: str
) -> None:
    async with api_with(storage_url=s3_url) as api:
        c = await conversation(api)
        content = os.urandom(100_000)
        added = await add(
            api, c.case["id"], [("ritning.pdf", content, "application/pdf")], c.staff["token"]
        )
        assert added["userErrors"] == []
        [file] = added["attachments"]
        got = await download(api, file["url"])
        assert got.status_code == 200
        assert got.content == content
        assert got.headers["content-type"].startswith("application/pdf")

        deleted = await api.data(
            "mutation($id: ID!) { deleteCase(input: {id: $id}) { userErrors { code } } }",
            {"id": c.case["id"]},
            c.tenant.admin_token,
        )
        assert deleted["deleteCase"]["userErrors"] == []
        key = file["url"].split("?")[0].rsplit("/", 1)[1]
        store: Any = api.services.storage
        assert await read_all(store, key) is None
        assert (await download(api, file["url"])).status_code == 404
