"""Attachments: a file on a case, a comment or a customer message, with a signed link."""

from __future__ import annotations

from datetime import datetime

import strawberry

from db import models
from graph.ids import to_global_id
from graph.types.base import Node


@strawberry.type(description="A file; its `url` downloads it without signing in, for a while.")
class Attachment(Node):
    filename: str
    content_type: str
    size: int
    created_at: datetime
    uploaded_by_name: str = strawberry.field(description="As `authorName` elsewhere.")
    key: strawberry.Private[str]

    @strawberry.field(
        description="Absolute; works without signing in until it expires "
        "(WORKCLOUD_ATTACHMENT_URL_TTL_SECONDS)."
    )
    async def url(self, info: strawberry.Info) -> str:
        link: str = await info.context.services.attachment_links.url(self.key)
        return link

    @classmethod
    def from_row(cls, row: models.Attachment) -> Attachment:
        return cls(
            id=strawberry.ID(to_global_id("Attachment", row.id)),
            key=row.storage_key,
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            created_at=row.created_at,
            uploaded_by_name=row.uploaded_by_name,
        )
