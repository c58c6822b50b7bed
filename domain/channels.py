"""Names of the live channels: per case (comments, conversation), per user (notifications),
per tenant (case changes), and system-wide ones (ended sign-ins, the outbox, case presence)."""

from __future__ import annotations


def case_comments(tenant_id: int, case_id: int) -> str:
    """A new comment (`id`, and `prev`, the stream's row before it: db/streams.py), or the
    stream's end (`ended`: the case was merged into another)."""
    return f"t{tenant_id}.case{case_id}.comments"


def case_messages(tenant_id: int, case_id: int) -> str:
    """Like `case_comments`, for the customer conversation."""
    return f"t{tenant_id}.case{case_id}.messages"


def user_notifications(tenant_id: int, user_id: int) -> str:
    return f"t{tenant_id}.user{user_id}.notifications"


def tenant_case_changes(tenant_id: int) -> str:
    """A tenant's case-change feed (the live table view): a wake-up, the rows are in the table."""
    return f"t{tenant_id}.case-changes"


def ended_sign_ins() -> str:
    """System-wide: tokens just revoked, so that every instance closes the sockets they opened."""
    return "ended-sign-ins"


def outbox() -> str:
    """System-wide: something new is due in the outbox (a wake-up for the senders)."""
    return "outbox"


def case_presence() -> str:
    """System-wide: each instance's part of the presence on cases (domain/case_presence.py).

    One channel for every case, so an instance knows every case's presence before anyone
    there subscribes to it, and a subscriber's first answer is already complete."""
    return "case-presence"
