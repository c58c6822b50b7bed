"""The e-mail that confirms a registered case to its contact."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, Contact, OutboxMessage, Tenant
from domain.outbox import queue_email
from domain.reply_addresses import reply_token_of


async def queue_confirmation(session: AsyncSession, case: Case, contact: Contact) -> OutboxMessage:
    assert contact.email
    tenant = await session.get(Tenant, case.tenant_id)
    sender = tenant.name if tenant else ""
    details = "\n".join(t for t in (case.title, case.description) if t)
    paragraphs = [
        f"Hej {contact.name}!",
        f"Vi har tagit emot ditt ärende och gett det nummer {case.number}.",
        details,
        "Svara på det här mejlet om du vill lägga till något.",
        f"Med vänliga hälsningar\n{sender}",
    ]
    return await queue_email(
        session,
        to=contact.email,
        subject=f"Ärende {case.number}: {case.title}" if case.title else f"Ärende {case.number}",
        body="\n\n".join(p for p in paragraphs if p),
        headers={"X-WorkCloud-Case-Number": str(case.number)},
        # "Reply to add something": the reply comes into the case's customer conversation.
        reply_token=await reply_token_of(session, case),
    )
