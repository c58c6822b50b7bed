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
    pass


class TemporaryFailure(DeliveryFailed):
    pass


class PermanentFailure(DeliveryFailed):
    pass


class Transport(Protocol):
    async def deliver(self, message: OutboxMessage) -> None:
        """Hands the message over; returns once the other side has accepted it."""

    async def close(self) -> None: ...
