"""The customer conversation on a case: staff write by e-mail, the customer answers in the
portal or by replying to that e-mail.

A message to the customer is stored and queued in the outbox as an e-mail whose reply
address carries the case's unguessable reply token; a message from the customer is stored,
logged in the case's event log, and notifies the people who answer for the case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.fitting import fitted
from db.models import (
    Case,
    Contact,
    ConversationMessage,
    Tenant,
    utcnow,
)
from db.streams import Stream, serialize_appends
from domain import channels, reply_templates, validation
from domain.announcements import announce
from domain.attachments import StoredFile, attach
from domain.cases import event_log, portal
from domain.cases.access import visible_case
from domain.cases.event_log import Action, Actor
from domain.cases.merging import refuse_merged
from domain.cases.recipients import recipients_of
from domain.cases.settings import load_settings
from domain.errors import Problems, UserErrorCode
from domain.mail_texts import customer_message_mail
from domain.notifications import NotificationKind, notify
from domain.outbox import DeliveryStatus, delivery_status, queue_email
from domain.reply_addresses import reply_token_of
from domain.sla.case_targets import record_first_response
from domain.viewer import Viewer
from domain.webhooks import WebhookEvent, case_data, emit, global_id

MAX_BODY = 10_000


class Direction(StrEnum):
    TO_CUSTOMER = "TO_CUSTOMER"
    FROM_CUSTOMER = "FROM_CUSTOMER"


@dataclass(frozen=True)
class Sender:
    """Who wrote a message from the customer's side; for an e-mail reply, from which address,
    and whether that was not the case contact's."""

    name: str
    contact_id: int | None = None
    address: str | None = None
    unknown: bool = False


class ReplyRefused(Exception):
    """An e-mail reply that cannot be threaded into its case's conversation."""


def delivery_of(direction: str, outbox_id: int | None, outbox_status: str | None) -> DeliveryStatus:
    """RECEIVED for the customer's messages; else how far their e-mail has got.

    Every message to the customer is queued with an outbox row; one whose row has since
    been cleaned away (the link is then null) counts as SENT.
    """
    if direction == Direction.FROM_CUSTOMER:
        return DeliveryStatus.RECEIVED
    if outbox_id is None:
        return DeliveryStatus.SENT
    return delivery_status(outbox_status)


async def conversations_enabled(session: AsyncSession) -> bool:
    return (await load_settings(session)).tabs.customer_conversations


def _body(problems: Problems, body: str | None) -> str | None:
    return validation.text(
        problems, "body", body, "The message", required=True, max_length=MAX_BODY, multiline=True
    )


def _filled(problems: Problems, filled: str) -> str | None:
    text = filled.strip()
    if not text:
        # Filled in for this case, the template says nothing: as if nothing were written.
        problems.required("body", "The message")
    elif len(text) > MAX_BODY:
        problems.invalid(
            "templateId",
            f"Filled in for this case, the template is longer than {MAX_BODY} characters.",
        )
    else:
        return text
    return None


async def _message_text(
    problems: Problems,
    session: AsyncSession,
    viewer: Viewer,
    case: Case,
    body: str | None,
    template_id: int | None,
) -> str | None:
    """The body written; else, when there is none, the template filled in for the case."""
    written = body is not None and body.strip() != ""
    if template_id is not None:
        template = await reply_templates.usable_template(session, viewer, template_id)
        if template is None:
            problems.not_found("templateId", "The reply template")
            return _body(problems, body) if written else None
        if not written:
            return _filled(
                problems, await reply_templates.rendered(session, viewer, template, case)
            )
    return _body(problems, body)


def _disabled(problems: Problems) -> None:
    problems.add(
        (),
        "Customer conversations are turned off in the case-module settings.",
        UserErrorCode.DISABLED,
    )


async def _recipient(problems: Problems, session: AsyncSession, case: Case) -> Contact | None:
    """The contact a message to the customer goes to; records why there is none."""
    contact = await session.get(Contact, case.contact_id) if case.contact_id else None
    if case.customer_id is None:
        problems.required("caseId", "A customer on the case")
    elif contact is None:
        problems.required("caseId", "A contact on the case")
    elif not contact.email:
        problems.required("caseId", "An e-mail address on the case's contact")
    if not case.visible_in_portal:
        problems.add(
            "caseId",
            "The case is not visible in the customer portal; make it visible to write to "
            "the customer.",
            UserErrorCode.NOT_ALLOWED,
        )
    return contact


async def _append(session: AsyncSession, case: Case, message: ConversationMessage) -> None:
    """Adds the message to the case's conversation stream, announced after commit.

    Appends to one case's conversation are serialised, so ids follow commit order and a
    live subscriber can resume after any id it has seen (db/streams.py).
    """
    await serialize_appends(session, Stream.CASE_MESSAGES, [case.id])
    previous = await session.scalar(
        select(func.max(ConversationMessage.id)).where(
            ConversationMessage.case_id == case.id, ConversationMessage.merged_in.is_(False)
        )
    )
    message.case_id = case.id
    message.created_at = case.updated_at = utcnow()
    session.add(message)
    await session.flush()
    announce(session, channels.case_messages(case.tenant_id, case.id), id=message.id, prev=previous)
    sent = message.direction == Direction.TO_CUSTOMER
    await emit(
        session,
        case.tenant_id,
        WebhookEvent.CUSTOMER_MESSAGE_SENT if sent else WebhookEvent.CUSTOMER_MESSAGE_RECEIVED,
        {
            "case": case_data(case.id, case.number, case.title),
            "message": {
                "id": global_id("ConversationMessage", message.id),
                "body": message.body,
                "direction": message.direction,
                "authorName": message.author_name,
            },
        },
    )


async def _lock_conversation(session: AsyncSession, case_id: int | None) -> None:
    """Taken before the case is read: a merge that committed meanwhile is then seen."""
    if case_id is not None:
        await serialize_appends(session, Stream.CASE_MESSAGES, [case_id])


async def _merge_survivor(session: AsyncSession, case: Case) -> Case:
    """The case, or the one it has been merged into (and so on), read under the append lock
    of its conversation: a reply never lands on a case a merge has just emptied."""
    while True:
        await serialize_appends(session, Stream.CASE_MESSAGES, [case.id])
        await session.refresh(case, ["merged_into_id"])
        target = await session.get(Case, case.merged_into_id) if case.merged_into_id else None
        if target is None:
            return case
        case = target


async def send_customer_message(
    session: AsyncSession,
    viewer: Viewer,
    case_id: int | None,
    body: str | None,
    template_id: int | None = None,
    files: Sequence[StoredFile] = (),
) -> ConversationMessage:
    """Staff to customer: stored, e-mailed to the case's contact through the outbox.

    The text is `body`, or where none is written, the reply template filled in for the case.
    """
    problems = Problems()
    if not await conversations_enabled(session):
        _disabled(problems)
        problems.raise_if_any()
    await _lock_conversation(session, case_id)
    case = await visible_case(session, viewer, case_id)
    if case is None:
        problems.not_found("caseId", "The case")
        problems.raise_if_any()
    assert case is not None
    refuse_merged(problems, case, "caseId")
    contact = await _recipient(problems, session, case)
    text = await _message_text(problems, session, viewer, case, body, template_id)
    problems.raise_if_any()
    assert contact is not None and contact.email and text

    message = ConversationMessage(
        body=text,
        direction=Direction.TO_CUSTOMER.value,
        author_user_id=viewer.staff_user_id,
        author_name=viewer.name,
    )
    await _append(session, case, message)
    # Before the mail is queued: the sender reads them as the message's (MIME parts).
    await attach(session, case, files, uploaded_by=message.author_name, message_id=message.id)
    record_first_response(case, message.created_at)
    tenant = await session.get(Tenant, viewer.tenant_id)
    mail_text = customer_message_mail(
        case_number=case.number,
        case_title=case.title,
        message=message.body,
        author_name=message.author_name,
        sender_name=tenant.name if tenant else "",
    )
    mail = await queue_email(
        session,
        to=contact.email,
        subject=mail_text.subject,
        body=mail_text.body,
        reply_token=await reply_token_of(session, case),
    )
    message.outbox_id = mail.id
    event_log.record(session, case.id, Actor.of(viewer), Action.CUSTOMER_MESSAGE_SENT)
    await session.flush()
    return message


async def _receive(
    session: AsyncSession,
    case: Case,
    sender: Sender,
    text: str,
    files: Sequence[StoredFile] = (),
) -> ConversationMessage:
    message = ConversationMessage(
        body=text,
        direction=Direction.FROM_CUSTOMER.value,
        author_contact_id=sender.contact_id,
        author_name=sender.name,
        sender_address=sender.address,
        from_unknown_sender=sender.unknown,
    )
    await _append(session, case, message)
    await attach(session, case, files, uploaded_by=message.author_name, message_id=message.id)
    actor = Actor(contact_id=sender.contact_id, name=sender.name)
    event_log.record(session, case.id, actor, Action.CUSTOMER_MESSAGE_RECEIVED)
    await notify(
        session,
        tenant_id=case.tenant_id,
        kind=NotificationKind.CUSTOMER_MESSAGE,
        recipient_ids=await recipients_of(session, case),
        case_id=case.id,
        message_id=message.id,
    )
    return message


async def send_portal_message(
    session: AsyncSession,
    viewer: Viewer,
    case_id: int | None,
    body: str | None,
    files: Sequence[StoredFile] = (),
) -> ConversationMessage:
    """Customer to staff, written in the portal on one of the contact's visible cases."""
    problems = Problems()
    await _lock_conversation(session, case_id)
    case = await portal.portal_case(session, viewer, case_id)
    if case is None:
        problems.not_found("caseId", "The case")
    elif not await conversations_enabled(session):
        _disabled(problems)
    refuse_merged(problems, case, "caseId")
    text = _body(problems, body)
    problems.raise_if_any()
    assert case is not None and text
    return await _receive(session, case, Sender(viewer.name, viewer.contact_id), text, files)


async def receive_email_reply(
    session: AsyncSession,
    case: Case,
    sender_address: str,
    sender_name: str | None,
    text: str,
    files: Sequence[StoredFile] = (),
) -> ConversationMessage:
    """A customer's reply by e-mail, in the case's tenant session.

    Refused, like a message in the portal, while conversations are off or the case is not
    visible in the portal, and when it is empty. Signed by the customer's contact whose
    e-mail matches the sender, else by the sender; marked when the sender is not the case's
    contact.
    """
    case = await _merge_survivor(session, case)
    if not await conversations_enabled(session):
        raise ReplyRefused("Customer conversations are turned off.")
    if not case.visible_in_portal:
        raise ReplyRefused("The case is not visible in the customer portal.")
    # Mail is not a form: an over-long reply is cut rather than refused.
    clean = text.replace("\x00", "").strip()[:MAX_BODY].strip()
    if not clean:
        raise ReplyRefused("The reply is empty once the quoted history is removed.")
    address = sender_address.strip().lower()
    contact = None
    if case.customer_id is not None:
        contact = await session.scalar(
            select(Contact)
            .where(Contact.customer_id == case.customer_id, Contact.email == address)
            .order_by((Contact.id == case.contact_id).desc(), Contact.id)
            .limit(1)
        )
    unknown = contact is None or contact.id != case.contact_id
    sender = Sender(
        name=contact.name
        if contact
        else fitted(ConversationMessage.author_name, sender_name or address or "Okänd avsändare"),
        contact_id=contact.id if contact else None,
        address=fitted(ConversationMessage.sender_address, address) or None,
        unknown=unknown,
    )
    return await _receive(session, case, sender, clean, files)
