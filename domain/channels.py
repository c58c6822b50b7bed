"""Names of the live channels: per case (comments, conversation), per user (notifications),
and system-wide ones (ended sign-ins, the outbox, case presence)."""

from __future__ import annotations


def case_comments(tenant_id: int, case_id: int) -> str:
    return f"t{tenant_id}.case{case_id}.comments"


def case_messages(tenant_id: int, case_id: int) -> str:
    return f"t{tenant_id}.case{case_id}.messages"


def user_notifications(tenant_id: int, user_id: int) -> str:
    return f"t{tenant_id}.user{user_id}.notifications"


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
