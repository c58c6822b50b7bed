"""GET /attachments/<key>?expires=<unix s>&signature=<hex>: an attachment's bytes by its
signed link (graph/attachment_links.py), without signing in.

    200  the bytes, streamed from the file store, as a download
    403  a link that is not ours (tampered with) or has expired
    404  no such attachment (deleted, with its case or otherwise)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from db.models import Attachment
from graph.context import Services


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def download_headers(row: Attachment) -> dict[str, str]:
    return {
        # RFC 6266 / 8187: any name, in UTF-8, with nothing in it that could end the header.
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename, safe='')}",
        "Content-Length": str(row.size),
        # Never rendered as what it claims to be (an uploaded HTML page runs nothing here).
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "Cache-Control": "private, no-store",
    }


def attachment_download(services: Services) -> Callable[[Request], Awaitable[Response]]:
    async def download(request: Request) -> Response:
        key = request.path_params["key"]
        params = request.query_params
        links = services.attachment_links
        if not await links.valid(key, params.get("expires", ""), params.get("signature", "")):
            return _error(403, "The link is not valid, or has expired.")
        # The signature names the file; whose tenant it is matters no more.
        async with services.db.session(None) as session:
            row = await session.scalar(select(Attachment).where(Attachment.storage_key == key))
        chunks = await services.storage.open(key) if row is not None else None
        if row is None or chunks is None:
            return _error(404, "The attachment is gone.")
        return StreamingResponse(chunks, media_type=row.content_type, headers=download_headers(row))

    return download
