"""Attempts counted in a sliding window per key, each reserved atomically before it is made.

A reservation looks at every key it names and adds one entry to all of them, or to none
when any key is at its limit: in one step, so concurrent attempts can never all see room
for one more. The caller then keeps the entry (the attempt counts) or releases it. An
entry left behind by a request that never finished ages out with the window.

`AttemptLog` keeps the entries in this process, for the one embedded instance;
`RedisAttemptLog` keeps them in Redis (one sorted set of entry times per key), so every
instance behind the load balancer counts the same attempts.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis


class Throttled(Exception):
    """A key is at its limit; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Try again in {retry_after} seconds.")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Reservation:
    """One attempt's entry, under the same name in each of its keys; `here` when it is
    kept in this process rather than in Redis."""

    keys: tuple[str, ...]
    entry: str
    here: bool = False


def _retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))


class AttemptLog:
    """Entries per key, in this process."""

    def __init__(self) -> None:
        self._entries: dict[str, list[tuple[float, str]]] = {}

    async def reserve(self, limits: Sequence[tuple[str, int]], window: float) -> Reservation:
        """One entry in every key, or Throttled (and no entry anywhere) if any is at its limit."""
        # No await from here to the end: the event loop runs no other reservation meanwhile.
        now = time.time()
        wait = 0.0
        for key, limit in limits:
            entries = [e for e in self._entries.get(key, []) if e[0] > now - window]
            self._entries[key] = entries
            if len(entries) >= limit:
                # The entry whose expiry leaves room for one more.
                freeing = entries[len(entries) - limit][0] if limit > 0 else now
                wait = max(wait, freeing + window - now)
        if wait > 0:
            for key, _limit in limits:
                if not self._entries[key]:
                    del self._entries[key]
            raise Throttled(_retry_after(wait))
        reservation = Reservation(tuple(key for key, _limit in limits), uuid.uuid4().hex, here=True)
        for key in reservation.keys:
            self._entries[key].append((now, reservation.entry))
        return reservation

    async def release(self, reservation: Reservation) -> None:
        for key in reservation.keys:
            entries = [e for e in self._entries.get(key, []) if e[1] != reservation.entry]
            if entries:
                self._entries[key] = entries
            else:
                self._entries.pop(key, None)

    async def clear(self, key: str) -> None:
        self._entries.pop(key, None)

    async def close(self) -> None:
        self._entries.clear()


# KEYS: the keys; ARGV: window (seconds), entry, then each key's limit. Redis's own clock,
# so instances with skewed clocks still agree. Returns 0 when reserved, else the seconds
# until the busiest key has room again (as text: Lua numbers would be truncated).
_RESERVE = """
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local window = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local limit = tonumber(ARGV[2 + i])
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local freeing = now
    if limit > 0 then
      freeing = tonumber(redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')[2])
    end
    wait = math.max(wait, freeing + window - now)
  end
end
if wait > 0 then
  return tostring(wait)
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
end
return '0'
"""


class RedisAttemptLog(AttemptLog):
    """The same entries in Redis, shared by every instance."""

    def __init__(self, url: str) -> None:
        super().__init__()
        # A busy instance reads Redis's answer late: a read timeout counts it as away, and
        # an attempt whose reservation Redis made but refused could then be checked anyway.
        self._redis = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=10)
        self._reserve: Any = self._redis.register_script(_RESERVE)

    async def reserve(self, limits: Sequence[tuple[str, int]], window: float) -> Reservation:
        reservation = Reservation(tuple(key for key, _limit in limits), uuid.uuid4().hex)
        args = [window, reservation.entry, *(limit for _key, limit in limits)]
        wait = float(await self._reserve(keys=list(reservation.keys), args=args))
        if wait > 0:
            raise Throttled(_retry_after(wait))
        return reservation

    async def release(self, reservation: Reservation) -> None:
        if not reservation.keys:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in reservation.keys:
                pipe.zrem(key, reservation.entry)
            await pipe.execute()

    async def clear(self, key: str) -> None:
        await self._redis.delete(key)

    async def close(self) -> None:
        await self._redis.aclose()
