"""Failed sign-ins, counted in a sliding window per e-mail and per client address.

With a `redis://` broadcast URL the counts live in Redis (one sorted set of failure
times per key), so every instance behind the load balancer sees the same counts; with
`memory://` they are kept in this process, which is right for the one embedded instance.
A wrong e-mail and a wrong password count alike, so the throttle tells nothing about
which e-mails exist.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import deque
from urllib.parse import urlparse

from redis.asyncio import Redis
from redis.exceptions import RedisError

from workcloud.settings import Settings

log = logging.getLogger("workcloud.throttle")


class Throttled(Exception):
    """Too many failed sign-ins; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed sign-ins; try again in {retry_after} seconds.")
        self.retry_after = retry_after


class FailureLog:
    """Failure times per key within `window` seconds: in memory, for one instance."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._times: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._times.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._times[key]
        return times

    async def count(self, key: str) -> tuple[int, float]:
        """How many failures are in the window, and the time of the oldest one."""
        times = self._recent(key, time.time())
        return len(times), (times[0] if times else 0.0)

    async def add(self, key: str) -> None:
        now = time.time()
        self._recent(key, now)
        self._times.setdefault(key, deque()).append(now)

    async def clear(self, key: str) -> None:
        self._times.pop(key, None)

    async def close(self) -> None:
        self._times.clear()


class RedisFailureLog(FailureLog):
    """The same window in Redis, shared by every instance."""

    def __init__(self, url: str, window: float) -> None:
        super().__init__(window)
        self._redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)

    async def count(self, key: str) -> tuple[int, float]:
        now = time.time()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", now - self.window)
            pipe.zcard(key)
            pipe.zrange(key, 0, 0, withscores=True)
            _removed, count, oldest = await pipe.execute()
        return int(count), (float(oldest[0][1]) if oldest else 0.0)

    async def add(self, key: str) -> None:
        now = time.time()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {uuid.uuid4().hex: now})
            pipe.expire(key, math.ceil(self.window))
            await pipe.execute()

    async def clear(self, key: str) -> None:
        await self._redis.delete(key)

    async def close(self) -> None:
        await self._redis.aclose()


class SignInThrottle:
    def __init__(self, settings: Settings) -> None:
        self._per_email = settings.sign_in_failures_per_email
        self._per_address = settings.sign_in_failures_per_address
        self._prefix = f"{settings.broadcast_channel_prefix}sign-in-failures:"
        window = float(settings.sign_in_window_seconds)
        if urlparse(settings.broadcast_url).scheme in ("redis", "rediss"):
            self._log: FailureLog = RedisFailureLog(settings.broadcast_url, window)
        else:
            self._log = FailureLog(window)

    def _keys(self, email: str, address: str | None) -> list[tuple[str, int]]:
        keys = [(f"{self._prefix}email:{email.strip().lower()}", self._per_email)]
        if address:
            keys.append((f"{self._prefix}address:{address}", self._per_address))
        return keys

    async def check(self, email: str, address: str | None) -> None:
        """Raises Throttled while either the e-mail or the address has too many failures."""
        for key, limit in self._keys(email, address):
            try:
                count, oldest = await self._log.count(key)
            except (RedisError, OSError) as error:
                # Fail open: with Redis away, sign-in still works (Argon2 keeps guessing slow).
                log.warning("sign-in throttle unavailable: %r", error)
                return
            if count >= limit:
                retry_after = max(1, math.ceil(oldest + self._log.window - time.time()))
                raise Throttled(retry_after)

    async def failed(self, email: str, address: str | None) -> None:
        try:
            for key, _limit in self._keys(email, address):
                await self._log.add(key)
        except (RedisError, OSError) as error:
            log.warning("sign-in throttle unavailable: %r", error)

    async def succeeded(self, email: str) -> None:
        # Only the e-mail's count: one right password must not clear an address's record.
        try:
            await self._log.clear(self._keys(email, None)[0][0])
        except (RedisError, OSError) as error:
            log.warning("sign-in throttle unavailable: %r", error)

    async def close(self) -> None:
        await self._log.close()
