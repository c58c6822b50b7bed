"""Guessing limits: sign-in attempts per e-mail and client address, and answers that an
e-mail address is taken, per tenant and viewer; both counted in one `AttemptLog`.

Every guess is reserved before it is checked (`graph.attempt_log`), so a burst of
concurrent guesses gets no more checks than the limit. A wrong e-mail and a wrong
password count alike, so the throttle tells nothing about which e-mails exist. With
Redis away (or too slow to answer) each instance counts in its own memory until it is
back, logged: the limits then hold per instance instead of for all of them together.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from urllib.parse import urlparse

from redis.exceptions import RedisError

from config.settings import Settings
from domain.viewer import Viewer
from graph.attempt_log import (
    AttemptLog,
    RedisAttemptLog,
    Reservation,
    Throttled,
)

log = logging.getLogger("workcloud.throttle")

__all__ = ["Reservation", "SignInThrottle", "Throttled"]


class SignInThrottle:
    def __init__(self, settings: Settings) -> None:
        self._per_email = settings.sign_in_failures_per_email
        self._per_address = settings.sign_in_failures_per_address
        self._sign_in_window = float(settings.sign_in_window_seconds)
        self._taken_per_tenant = settings.taken_email_answers_per_tenant
        self._taken_per_viewer = settings.taken_email_answers_per_viewer
        self._taken_window = float(settings.taken_email_window_seconds)
        self._prefix = settings.broadcast_channel_prefix
        # Where attempts are counted while Redis cannot be reached (or the only place,
        # for the embedded instance): an attacker who makes Redis slow gains no guesses.
        self._here = AttemptLog()
        if urlparse(settings.broadcast_url).scheme in ("redis", "rediss"):
            self._log: AttemptLog = RedisAttemptLog(settings.broadcast_url)
        else:
            self._log = self._here

    def _email_key(self, email: str) -> str:
        return f"{self._prefix}sign-in-failures:email:{email.strip().lower()}"

    async def reserve_guess(self, email: str, address: str | None) -> Reservation:
        """A password check for this e-mail (or `user-<id>`) from this address, or Throttled.

        Raises Throttled while either count is at its limit, even for the right password,
        so that throttling does not reveal a correct guess. The reservation counts as a
        failure unless `succeeded` or `release` is called with it.
        """
        limits = [(self._email_key(email), self._per_email)]
        if address:
            limits.append((f"{self._prefix}sign-in-failures:address:{address}", self._per_address))
        return await self._reserve(limits, self._sign_in_window)

    async def succeeded(self, email: str, reservation: Reservation) -> None:
        """The right password: the guess does not count, and the e-mail's failures are forgiven."""
        email_key = self._email_key(email)
        # Cleared before the address's place is given back: given back first, the e-mail's
        # place could go to another attempt in between, which the clearing would then forget.
        await self._here.clear(email_key)
        try:
            await self._log.clear(email_key)
        except (RedisError, OSError) as error:
            log.warning("sign-in throttle unavailable: %r", error)
        # Only the e-mail's count: one right password must not clear an address's record.
        others = tuple(key for key in reservation.keys if key != email_key)
        await self.release(Reservation(others, reservation.entry, reservation.here))

    async def reserve_taken_email_answer(self, viewer: Viewer) -> Reservation:
        """Room for one more "this e-mail is taken" answer to this viewer and tenant, or Throttled.

        Reserved before the address is looked up, so that concurrent lookups cannot go past
        the limit; `release` it unless the answer was that the address is taken.
        """
        key = f"{self._prefix}taken-email-answers:"
        limits = [
            (f"{key}tenant:{viewer.tenant_id}", self._taken_per_tenant),
            (f"{key}user:{viewer.staff_user_id}", self._taken_per_viewer),
        ]
        return await self._reserve(limits, self._taken_window)

    async def release(self, reservation: Reservation) -> None:
        if reservation.here:
            await self._here.release(reservation)
            return
        try:
            await self._log.release(reservation)
        except (RedisError, OSError) as error:
            log.warning("sign-in throttle unavailable: %r", error)

    async def _reserve(self, limits: Sequence[tuple[str, int]], window: float) -> Reservation:
        try:
            return await self._log.reserve(limits, window)
        except (RedisError, OSError) as error:
            # Sign-in still works with Redis away, counted by this instance alone.
            log.warning("sign-in throttle unavailable, counting in this process: %r", error)
            return await self._here.reserve(limits, window)

    async def close(self) -> None:
        await self._log.close()
