"""The files a queued e-mail carries: the attachments of the customer message it sends."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from db.engine import Database
from db.models import Attachment, ConversationMessage, OutboxMessage
from messaging.transport import TemporaryFailure
from storage.store import FileStore


@dataclass(frozen=True)
class MailPart:
    filename: str
    content_type: str
    content: bytes


class MailAttachments:
    def __init__(self, db: Database, store: FileStore) -> None:
        self.db = db
        self.store = store

    async def of(self, message: OutboxMessage) -> list[MailPart]:
        """The files of the message this mail sends, in the order they were attached.

        A mail is put together whole before it is sent, so each file is read whole; a file
        whose row is there but whose bytes are not (yet) is a reason to try again later.
        """
        async with self.db.session(message.tenant_id) as session:
            rows = list(
                await session.scalars(
                    select(Attachment)
                    .join(ConversationMessage, ConversationMessage.id == Attachment.message_id)
                    .where(ConversationMessage.outbox_id == message.id)
                    .order_by(Attachment.id)
                )
            )
        parts: list[MailPart] = []
        for row in rows:
            chunks = await self.store.open(row.storage_key)
            if chunks is None:
                raise TemporaryFailure(f"attachment {row.id} is missing from the file store")
            content = b"".join([chunk async for chunk in chunks])
            parts.append(MailPart(row.filename, row.content_type, content))
        return parts
