"""Uploaded files (the GraphQL multipart request spec) into the file store, then the rows.

The files are written first, outside the transaction (a large upload must not hold the
database's write lock), then the rows that name them in one transaction; when that does
not commit (a userError, a failure) the files written are removed again. Limits are
checked before anything is written: files per request, bytes per file.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from config.settings import Settings
from domain.attachments import StoredFile, content_type_of, filename_of
from domain.errors import Problems
from domain.viewer import Viewer
from graph.context import Context
from graph.resolvers.mutation import Outcome, perform
from graph.types.base import user_errors
from storage.store import FileStore, new_key

T = TypeVar("T")

Work = Callable[[AsyncSession, Viewer, list[StoredFile]], Awaitable[T]]


def _size(upload: UploadFile) -> int:
    if upload.size is not None:
        return upload.size
    upload.file.seek(0, 2)
    return upload.file.tell()


def checked_uploads(
    problems: Problems, given: Sequence[object] | None, path: str, settings: Settings
) -> list[UploadFile]:
    """The files sent at `path`, when each is a file within the limits."""
    if not given:
        return []
    if len(given) > settings.max_files:
        problems.invalid(path, f"At most {settings.max_files} files may be sent at once.")
        return []
    uploads: list[UploadFile] = []
    for i, upload in enumerate(given):
        # Upload is a scalar: a client can send any JSON value where a file belongs.
        if not isinstance(upload, UploadFile):
            problems.invalid((path, str(i)), "Not a file: send it as a multipart request part.")
        elif _size(upload) > settings.max_attachment_bytes:
            problems.invalid(
                (path, str(i)),
                f"The file is larger than {settings.max_attachment_bytes} bytes.",
            )
        else:
            uploads.append(upload)
    return uploads


async def store_all(store: FileStore, uploads: Sequence[UploadFile]) -> list[StoredFile]:
    """Writes every file; when one fails, those already written are removed."""
    stored: list[StoredFile] = []
    try:
        for upload in uploads:
            key = new_key()
            await store.put(key, upload.file)
            stored.append(
                StoredFile(
                    key=key,
                    filename=filename_of(upload.filename),
                    content_type=content_type_of(upload.content_type),
                    size=_size(upload),
                )
            )
    except BaseException:
        await store.delete([f.key for f in stored])
        raise
    return stored


async def perform_with_uploads(
    info: strawberry.Info[Context, None],
    given: Sequence[object] | None,
    path: str,
    work: Work[T],
    *,
    staff_only: bool = True,
) -> Outcome[T]:
    """`perform`, with the files sent at `path` stored first and handed to `work`."""
    context = info.context
    # Refused before a byte is written.
    if staff_only:
        context.staff()
    else:
        context.signed_in()
    problems = Problems()
    uploads = checked_uploads(problems, given, path, context.settings)
    if problems:
        return Outcome(errors=user_errors(problems.errors))
    store = context.services.storage
    stored = await store_all(store, uploads)
    committed = False
    try:

        async def with_files(session: AsyncSession, viewer: Viewer) -> T:
            return await work(session, viewer, stored)

        outcome = await perform(info, with_files, staff_only=staff_only)
        committed = not outcome.errors
        return outcome
    finally:
        if not committed:
            await store.delete([f.key for f in stored])
