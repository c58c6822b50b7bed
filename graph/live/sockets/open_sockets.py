"""Open WebSockets and their sign-ins: a limit per viewer, and 4403 once a sign-in ends.

A socket is signed in once, at `connection_init`, and may stay open for days. Each new
operation on it reads its token again (transport.py, legacy.py); this registry closes it,
without waiting for one, as soon as its token stops working:
- revoked (logout, a password change, portal access taken away), announced after commit
  on `channels.ended_sign_ins()` and heard by every instance;
- expired, by a timer at the token's expiry;
- found no longer good when the bus may have missed announcements (a Redis restart, an
  overflowing listener): then every open socket's token is checked in one statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bus.event_bus import EventBus, ListenerOverflow, Resync
from domain import channels
from domain.viewer import Viewer

log = logging.getLogger("workcloud.sockets")

SIGN_IN_ENDED = 4403
TOO_MANY_CONNECTIONS = 4429
# RFC 6455's "Try Again Later": the sign-in could not be read (the database is away).
TRY_AGAIN_LATER = 1013


@dataclass(eq=False)
class _OpenSocket:
    socket: Any
    viewer_key: Hashable
    token_id: int
    expiry: asyncio.TimerHandle | None = field(default=None, repr=False)


class OpenSockets:
    """The signed-in WebSockets of this instance, by viewer and by token."""

    def __init__(self, limit_per_viewer: int) -> None:
        self.limit = limit_per_viewer
        self._by_socket: dict[int, _OpenSocket] = {}
        self._by_viewer: dict[Hashable, set[int]] = {}
        self._by_token: dict[int, set[int]] = {}

    def acquire(self, viewer: Viewer, socket: Any) -> bool:
        """Registers a signed-in socket; False when its viewer is at the limit, or when the
        socket is already signed in (a socket stands for one sign-in for its whole life)."""
        if id(socket) in self._by_socket:
            return False
        key = viewer_key(viewer)
        sockets = self._by_viewer.setdefault(key, set())
        if len(sockets) >= self.limit:
            if not sockets:
                del self._by_viewer[key]
            return False
        sockets.add(id(socket))
        entry = _OpenSocket(socket, key, viewer.token_id)
        self._by_socket[id(socket)] = entry
        self._by_token.setdefault(viewer.token_id, set()).add(id(socket))
        if viewer.expires_at is not None:
            self._expire_at(entry, viewer.expires_at)
        return True

    def release(self, socket: Any) -> None:
        entry = self._by_socket.pop(id(socket), None)
        if entry is None:
            return
        if entry.expiry is not None:
            entry.expiry.cancel()
        _discard(self._by_viewer, entry.viewer_key, id(socket))
        _discard(self._by_token, entry.token_id, id(socket))

    def end_sign_ins(self, token_ids: Iterable[int]) -> None:
        """Closes every socket signed in with one of these tokens (4403)."""
        for token_id in token_ids:
            for socket_id in list(self._by_token.get(token_id, ())):
                entry = self._by_socket.get(socket_id)
                if entry is not None:
                    self._close(entry)

    def _close(self, entry: _OpenSocket) -> None:
        self.release(entry.socket)
        task = asyncio.ensure_future(_close(entry.socket))
        task.add_done_callback(_retrieve)

    def _expire_at(self, entry: _OpenSocket, expires_at: datetime) -> None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        delay = (expires_at - datetime.now(UTC)).total_seconds()
        entry.expiry = asyncio.get_running_loop().call_later(max(delay, 0.0), self._close, entry)

    async def follow(
        self, bus: EventBus, valid_tokens: Callable[[Collection[int]], Awaitable[set[int]]]
    ) -> None:
        """Closes sockets whose sign-in ended anywhere; runs for the app's lifetime."""
        failing = False
        while True:
            try:
                async with bus.listen(channels.ended_sign_ins()) as listener:
                    # Anything announced while nobody here was listening.
                    await self._recheck(valid_tokens)
                    failing = False
                    while True:
                        item = await listener.get()
                        if isinstance(item, Resync):
                            await self._recheck(valid_tokens)
                        else:
                            self.end_sign_ins(_token_ids(item.get("tokens")))
            except ListenerOverflow:
                continue
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # The database or the bus is away; sockets are still checked per operation.
                if not failing:
                    log.warning("cannot follow ended sign-ins yet: %r", error)
                failing = True
                await asyncio.sleep(1.0)

    async def _recheck(
        self, valid_tokens: Callable[[Collection[int]], Awaitable[set[int]]]
    ) -> None:
        open_tokens = set(self._by_token)
        if open_tokens:
            self.end_sign_ins(open_tokens - await valid_tokens(open_tokens))


def viewer_key(viewer: Viewer) -> Hashable:
    return (viewer.kind, viewer.user_id, viewer.contact_id)


def _token_ids(value: object) -> list[int]:
    if not isinstance(value, list):
        return []
    return [token for token in value if type(token) is int]


def _discard(index: dict[Any, set[int]], key: Hashable, socket_id: int) -> None:
    sockets = index.get(key)
    if sockets is None:
        return
    sockets.discard(socket_id)
    if not sockets:
        del index[key]


async def _close(socket: Any) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(socket.close(code=SIGN_IN_ENDED, reason="Forbidden"), timeout=2)


def _retrieve(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()
