"""What the sender needs of a way to deliver, and the two ways a delivery can fail.

    DeliveryFailed
    ├── TemporaryFailure   try again later (server down, timeout, 4xx, rate limit)
    └── PermanentFailure   never retry (recipient refused, request rejected)

Any other exception from a transport counts as temporary.
"""

from __future__ import annotations

from typing import Protocol

from db.models import OutboxMessage


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, response_status: int | None = None) -> None:
        super().__init__(reason)
        # What an HTTP endpoint answered, where it answered at all (webhooks record it).
        self.response_status = response_status


class TemporaryFailure(DeliveryFailed):
    pass


class PermanentFailure(DeliveryFailed):
    pass


class Transport(Protocol):
    async def deliver(self, message: OutboxMessage) -> int | None:
        """Hands the message over; returns once the other side has accepted it, with the
        HTTP status it answered where there is one."""

    async def close(self) -> None: ...
