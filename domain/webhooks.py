"""Outgoing webhooks: an admin's endpoints, and the deliveries the tenant's events write.

An event writes, in the transaction that causes it, one delivery per active webhook of its
tenant that subscribes to it: an outbox row (channel WEBHOOK) that the sender POSTs once
the transaction has committed (messaging/webhook_transport.py), retrying like mail. The
tenant's webhooks are read once per transaction, whatever the number of events; the
deliveries of one call are one INSERT.

Case events come from the case-change feed's hook before commit (one per changed case, as
`caseChanged` sees them), with the changes the event log recorded for the case in the same
transaction; the rest are emitted where they happen (`emit`).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

import orjson
from sqlalchemy import Table, delete, insert, select
from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession, async_session
from sqlalchemy.orm import Session, SessionTransaction

from db.fitting import fitted
from db.models import Case, OutboxMessage, Webhook, utcnow
from domain import channels, validation
from domain.announcements import announce
from domain.errors import Problems
from domain.outbox import Channel, OutboxStatus
from domain.viewer import Viewer
from domain.webhook_destinations import (
    MAX_URL_LENGTH,
    RefusedDestination,
    UnresolvedDestination,
    destination,
    shown,
)

_OUTBOX = cast(Table, OutboxMessage.__table__)

GENERATED_SECRET_BYTES = 32  # 43 characters of URL-safe base64
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 200
# How long saving may wait for the URL's host name to resolve.
RESOLVE_SECONDS = 5.0
# In an event's data, a staff global id to be written out by the sender: global ids are
# the API edge's, and the sender is given the function that makes them.
GLOBAL_ID = "$globalId"

Data = dict[str, Any]


class WebhookEvent(StrEnum):
    CASE_REGISTERED = "CASE_REGISTERED"
    CASE_UPDATED = "CASE_UPDATED"
    CASE_DELETED = "CASE_DELETED"
    COMMENT_ADDED = "COMMENT_ADDED"
    CUSTOMER_MESSAGE_SENT = "CUSTOMER_MESSAGE_SENT"
    CUSTOMER_MESSAGE_RECEIVED = "CUSTOMER_MESSAGE_RECEIVED"
    SLA_BREACHED = "SLA_BREACHED"
    PING = "PING"  # sendTestWebhook's, whatever the webhook subscribes to


# The case-change feed's kinds (domain/cases/change_feed.py) and the events they are.
CASE_CHANGE_EVENTS = {
    "REGISTERED": WebhookEvent.CASE_REGISTERED,
    "UPDATED": WebhookEvent.CASE_UPDATED,
    "DELETED": WebhookEvent.CASE_DELETED,
}


def global_id(type_name: str, pk: int) -> Data:
    return {GLOBAL_ID: [type_name, pk]}


def case_data(case_id: int, number: int, title: str) -> Data:
    """`case {id number title}` as every case's event carries it."""
    return {"id": global_id("Case", case_id), "number": number, "title": title}


# What one transaction has gathered (session.info), forgotten when it ends.
_SUBSCRIBED = "webhooks.subscribed"  # tenant id -> its active webhooks
_CHANGES = "webhooks.case_changes"  # case id -> the event log's changes of it
_DELETED = "webhooks.deleted_cases"  # case id -> (number, title) of a case being deleted


@dataclass(frozen=True)
class _Subscriber:
    id: int
    url: str
    events: frozenset[str]


def _subscribers(session: Session, tenant_id: int) -> list[_Subscriber]:
    """The tenant's active webhooks: read once per transaction."""
    known: dict[int, list[_Subscriber]] = session.info.setdefault(_SUBSCRIBED, {})
    found = known.get(tenant_id)
    if found is None:
        rows = session.execute(
            select(Webhook.id, Webhook.url, Webhook.events).where(
                Webhook.tenant_id == tenant_id, Webhook.active.is_(True)
            )
        ).all()
        found = known[tenant_id] = [_Subscriber(i, url, frozenset(ev)) for i, url, ev in rows]
    return found


def _wake_senders(session: Session) -> None:
    announced = async_session(session)
    if announced is not None:  # a synchronous session (scripts): the senders poll
        announce(announced, channels.outbox())


def _delivery(tenant_id: int, webhook_id: int, url: str, event: str, data: Data) -> Data:
    return {
        "tenant_id": tenant_id,
        "channel": Channel.WEBHOOK.value,
        # Where it went when the event happened, for the logs; it is sent to the webhook's
        # URL as it is when sent.
        "recipient": fitted(OutboxMessage.recipient, shown(url)),
        "subject": event,
        "body": orjson.dumps({"occurredAt": utcnow().isoformat(), "data": data}).decode(),
        "headers": {},
        "status": OutboxStatus.PENDING.value,
        "webhook_id": webhook_id,
    }


def _queue(session: Session, tenant_id: int, events: Iterable[tuple[WebhookEvent, Data]]) -> None:
    subscribers = _subscribers(session, tenant_id)
    rows = [
        _delivery(tenant_id, hook.id, hook.url, event.value, data)
        for event, data in events
        for hook in subscribers
        if event.value in hook.events
    ]
    if rows:
        session.execute(insert(_OUTBOX).values(rows))
        _wake_senders(session)


async def emit(session: AsyncSession, tenant_id: int, event: WebhookEvent, data: Data) -> None:
    """A delivery of `event` to each of the tenant's active webhooks subscribed to it, sent
    once this transaction commits. `data` is JSON (datetimes allowed), ids in it written as
    `global_id(...)`; e.g. SLA_BREACHED's is
    `{"case": case_data(...), "target": "RESOLUTION", "dueAt": due_at}`."""
    await session.run_sync(lambda sync: _queue(sync, tenant_id, [(event, data)]))


def note_case_changes(session: AsyncSession, case_id: int, changes: Sequence[Data]) -> None:
    """What the event log recorded of a case in this transaction, for its CASE_* event."""
    session.info.setdefault(_CHANGES, {}).setdefault(case_id, []).extend(changes)


@orm_event.listens_for(Session, "before_flush")
def _note_deleted_cases(session: Session, _context: Any, _instances: Any) -> None:
    # A deleted case's CASE_DELETED still names it; its row is gone by commit.
    for obj in session.deleted:
        if isinstance(obj, Case):
            session.info.setdefault(_DELETED, {})[obj.id] = (obj.number, obj.title)


def queue_case_events(session: Session, changed: Sequence[tuple[int, int, str]]) -> None:
    """Called by the case-change feed just before commit: (tenant id, case id, feed kind) of
    each changed case. Reads the cases' numbers and titles only when someone subscribes."""
    by_tenant: dict[int, list[tuple[int, WebhookEvent]]] = {}
    for tenant_id, case_id, kind in changed:
        by_tenant.setdefault(tenant_id, []).append((case_id, CASE_CHANGE_EVENTS[kind]))
    for tenant_id, cases in by_tenant.items():
        wanted = set().union(*(hook.events for hook in _subscribers(session, tenant_id)))
        cases = [(case_id, event) for case_id, event in cases if event.value in wanted]
        if not cases:
            continue
        names: dict[int, tuple[int, str]] = dict(session.info.get(_DELETED, {}))
        present = [case_id for case_id, event in cases if event is not WebhookEvent.CASE_DELETED]
        if present:
            rows = session.execute(
                select(Case.id, Case.number, Case.title).where(Case.id.in_(present))
            ).all()
            names.update((case_id, (number, title)) for case_id, number, title in rows)
        changes: dict[int, list[Data]] = session.info.get(_CHANGES, {})
        _queue(
            session,
            tenant_id,
            [
                (
                    event,
                    {
                        "case": case_data(case_id, *names[case_id]),
                        "changes": changes.get(case_id, []),
                    },
                )
                for case_id, event in cases
                if case_id in names
            ],
        )


@orm_event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        for key in (_SUBSCRIBED, _CHANGES, _DELETED):
            session.info.pop(key, None)


# Managing webhooks (administrators only).


@dataclass(frozen=True)
class SavedWebhook:
    webhook: Webhook
    secret: str | None  # only when this save set it


async def webhooks_of(session: AsyncSession, viewer: Viewer) -> Sequence[Webhook]:
    viewer.require_admin()
    return (await session.scalars(select(Webhook).order_by(Webhook.id))).all()


async def webhook_of(session: AsyncSession, viewer: Viewer, webhook_id: int) -> Webhook | None:
    """The webhook, for an administrator of its tenant; None for anyone else."""
    if not viewer.is_admin:
        return None
    return await session.get(Webhook, webhook_id)


async def _checked_url(problems: Problems, url: str, *, allow_private: bool) -> str | None:
    text = validation.text(
        problems, "url", url, "The URL", required=True, max_length=MAX_URL_LENGTH
    )
    if text is None or problems.has("url"):
        return None
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            await destination(text, allow_private=allow_private)
    except RefusedDestination as error:
        problems.invalid("url", str(error))
    except (UnresolvedDestination, TimeoutError):
        problems.invalid("url", "The URL's host name does not resolve.")
    return text


def _secret(problems: Problems, secret: str | None) -> str | None:
    if secret is None:
        return None
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        problems.invalid(
            "secret",
            f"The secret must be {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters long.",
        )
    elif not secret.isprintable() or secret != secret.strip():
        problems.invalid("secret", "The secret must be printable, without surrounding spaces.")
    return secret


async def save_webhook(
    session: AsyncSession,
    viewer: Viewer,
    *,
    id: int | None,
    url: str,
    events: Sequence[WebhookEvent],
    active: bool,
    secret: str | None,
    allow_private: bool,
) -> SavedWebhook:
    """A new webhook (no id) or one saved whole; without a secret a new one gets one made,
    an existing one keeps its own."""
    viewer.require_admin()
    problems = Problems()
    # The name is resolved before the transaction takes any lock.
    checked = await _checked_url(problems, url, allow_private=allow_private)
    chosen = list(dict.fromkeys(events))
    if not chosen:
        problems.required("events", "At least one event")
    given_secret = _secret(problems, secret)
    webhook = await session.get(Webhook, id) if id is not None else None
    if id is not None and webhook is None:
        problems.not_found("id", "The webhook")
    problems.raise_if_any()
    assert checked is not None
    new_secret = given_secret
    if webhook is None:
        new_secret = new_secret or secrets.token_urlsafe(GENERATED_SECRET_BYTES)
        webhook = Webhook(tenant_id=viewer.tenant_id)
        session.add(webhook)
    webhook.url = checked
    webhook.events = [e.value for e in WebhookEvent if e in chosen]
    webhook.active = active
    if new_secret is not None:
        webhook.secret = new_secret
    await session.flush()
    session.info.pop(_SUBSCRIBED, None)
    return SavedWebhook(webhook, new_secret)


async def _existing(session: AsyncSession, viewer: Viewer, webhook_id: int | None) -> Webhook:
    viewer.require_admin()
    webhook = await session.get(Webhook, webhook_id) if webhook_id else None
    if webhook is None:
        problems = Problems()
        problems.not_found("id", "The webhook")
        problems.raise_if_any()
    assert webhook is not None
    return webhook


async def delete_webhook(session: AsyncSession, viewer: Viewer, webhook_id: int | None) -> int:
    """Deletes the webhook and its deliveries, sent or not."""
    webhook = await _existing(session, viewer, webhook_id)
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.tenant_id == viewer.tenant_id, OutboxMessage.webhook_id == webhook.id
        )
    )
    await session.delete(webhook)
    await session.flush()
    session.info.pop(_SUBSCRIBED, None)
    return webhook.id


async def send_test(session: AsyncSession, viewer: Viewer, webhook_id: int | None) -> OutboxMessage:
    """One PING delivery to the webhook, whether or not it is active or subscribes to PING."""
    webhook = await _existing(session, viewer, webhook_id)
    ping = {"webhookId": global_id("Webhook", webhook.id)}
    row = OutboxMessage(
        **_delivery(viewer.tenant_id, webhook.id, webhook.url, WebhookEvent.PING.value, ping)
    )
    session.add(row)
    await session.flush()
    announce(session, channels.outbox(), id=row.id)
    return row
