"""SMS: on a case to its contact and/or chosen people, or to chosen staff at once.

Any staff user may send either, only when the tenant has SMS turned on. Numbers are read as
Swedish unless they carry a country code, and stored in E.164; each SMS is an outbox row of
its own, tied to its case (if any) and its sender.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, Contact, OutboxMessage, User
from domain import validation
from domain.cases import event_log
from domain.cases.event_log import Action, Actor, Change
from domain.cases.settings import load_settings
from domain.errors import Problems, UserErrorCode
from domain.outbox import queue_sms
from domain.viewer import Viewer

DEFAULT_REGION = validation.PHONE_REGION
MAX_BODY = 1600  # ten concatenated SMS


@dataclass(frozen=True)
class SmsRequest:
    body: str | None
    case_id: int | None = None
    on_case: bool = False  # a case id was given (even one that does not parse)
    user_ids: Sequence[int | None] = ()
    contact_ids: Sequence[int | None] = ()


@dataclass(frozen=True)
class Recipient:
    name: str
    phone: str | None
    path: str


def mobile_number(phone: str) -> str | None:
    """The number in E.164 (Swedish unless it says otherwise), or None when it cannot get SMS."""
    try:
        parsed = phonenumbers.parse(phone, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.FIXED_LINE:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


async def _people(
    problems: Problems, session: AsyncSession, request: SmsRequest, case: Case | None
) -> list[Recipient]:
    wanted_users = {i for i in request.user_ids if i is not None}
    users = list(
        (await session.scalars(select(User).where(User.id.in_(wanted_users), User.active))).all()
    )
    if None in request.user_ids or len(users) != len(wanted_users):
        problems.not_found("userIds", "A user")
    contacts: list[Contact] = []
    if case is not None and request.contact_ids:
        wanted_contacts = {i for i in request.contact_ids if i is not None}
        contacts = list(
            (
                await session.scalars(
                    select(Contact).where(
                        Contact.id.in_(wanted_contacts), Contact.customer_id == case.customer_id
                    )
                )
            ).all()
        )
        if None in request.contact_ids or len(contacts) != len(wanted_contacts):
            problems.not_found("contactIds", "A contact of the case's customer")
    recipients = [Recipient(u.name, u.phone, "userIds") for u in sorted(users, key=lambda u: u.id)]
    recipients += [
        Recipient(c.name, c.phone, "contactIds") for c in sorted(contacts, key=lambda c: c.id)
    ]
    return recipients


async def _case_contact(problems: Problems, session: AsyncSession, case: Case) -> Recipient | None:
    contact = await session.get(Contact, case.contact_id) if case.contact_id else None
    if contact is None:
        problems.required("caseId", "A contact on the case (or chosen recipients)")
        return None
    return Recipient(contact.name, contact.phone, "caseId")


def _numbers(problems: Problems, recipients: list[Recipient]) -> dict[str, str]:
    """E.164 number -> name, each number once; records who has none that can get SMS."""
    numbers: dict[str, str] = {}
    for recipient in recipients:
        if not recipient.phone:
            problems.required(recipient.path, f"A mobile number for {recipient.name}")
            continue
        number = mobile_number(recipient.phone)
        if number is None:
            problems.invalid(
                recipient.path,
                f"{recipient.name}'s number {recipient.phone} cannot receive SMS.",
            )
            continue
        numbers.setdefault(number, recipient.name)
    return numbers


async def send_sms(
    session: AsyncSession, viewer: Viewer, request: SmsRequest
) -> list[OutboxMessage]:
    problems = Problems()
    if not (await load_settings(session)).sms_enabled:
        problems.add((), "SMS is turned off in the case-module settings.", UserErrorCode.DISABLED)
        problems.raise_if_any()
    sent_by = viewer.staff_user_id
    body = validation.text(
        problems,
        "body",
        request.body,
        "The message",
        required=True,
        max_length=MAX_BODY,
        multiline=True,
    )
    case = None
    if request.on_case:
        case = await session.get(Case, request.case_id) if request.case_id is not None else None
        if case is None:
            problems.not_found("caseId", "The case")
    elif request.contact_ids:
        problems.invalid("contactIds", "An SMS to contacts is sent on their case.")
    recipients = await _people(problems, session, request, case)
    if case is not None and not request.user_ids and not request.contact_ids:
        default = await _case_contact(problems, session, case)
        recipients = [default] if default else []
    elif not recipients and not problems:
        problems.required("userIds", "At least one recipient")
    numbers = _numbers(problems, recipients)
    problems.raise_if_any()
    assert body

    queued = [
        await queue_sms(
            session,
            to=number,
            body=body,
            recipient_name=name,
            case_id=case.id if case is not None else None,
            sent_by_id=sent_by,
        )
        for number, name in numbers.items()
    ]
    if case is not None:
        sent_to = [Change("sms", None, f"{name} ({number})") for number, name in numbers.items()]
        event_log.record(session, case.id, Actor.of(viewer), Action.SMS_SENT, sent_to)
        await session.flush()
    return queued
