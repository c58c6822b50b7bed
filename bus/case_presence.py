"""Case presence across instances: this instance's part told to the others, theirs heard.

Every instance publishes on one system-wide channel (`channels.case_presence()`): its part
of a case whenever that part changes, and all of its parts in a heartbeat every few
seconds, which also repairs whatever a lost message left wrong. It keeps the latest parts it
heard from each other instance, and forgets an instance that said goodbye or that was not
heard from for `MISSED_HEARTBEATS` of that instance's heartbeats (it died). A new instance,
or one whose bus reconnected, says hello and the others answer with their heartbeat.

Typing is timed by Unix time, so the instances' clocks are taken to be in step (NTP).
One task per instance publishes (in order) and runs the only timer: the heartbeat, typing
that runs out, silent instances. Another task listens. Subscribers hold a `PresenceWatch`,
told whenever their case's presence may have changed; they compare before sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bus.event_bus import EventBus, ListenerOverflow, Resync
from domain import channels
from domain.announcements import Announcement
from domain.case_presence import CaseKey, CasePart, Presence, Typed, merge

log = logging.getLogger("workcloud.presence")

# An instance not heard from for this many of its own heartbeats is taken for dead.
MISSED_HEARTBEATS = 3
# How long a stopping instance waits to say goodbye.
GOODBYE_SECONDS = 2.0


class PresenceWatch:
    """One subscriber's hold on a case: `changed` is set whenever its presence may have."""

    def __init__(self, board: CasePresenceBoard, key: CaseKey) -> None:
        self._board = board
        self.key = key
        self.changed = asyncio.Event()

    def presence(self) -> Presence:
        return self._board.presence(self.key)


@dataclass
class _Instance:
    """Another instance, as last heard."""

    heard_at: float  # monotonic
    heartbeat: float
    parts: dict[CaseKey, CasePart] = field(default_factory=dict)

    @property
    def silent_after(self) -> float:
        return self.heard_at + MISSED_HEARTBEATS * self.heartbeat


class CasePresenceBoard:
    def __init__(self, bus: EventBus, *, heartbeat_seconds: float) -> None:
        self.instance_id = uuid.uuid4().hex
        self._bus = bus
        self._heartbeat = heartbeat_seconds
        # This instance's part: open subscriptions per viewing user, latest setTyping per user.
        self._viewing: dict[CaseKey, Counter[int]] = {}
        self._typed: dict[CaseKey, dict[int, Typed]] = {}
        self._others: dict[str, _Instance] = {}
        self._watches: dict[CaseKey, set[PresenceWatch]] = {}
        self._unpublished: set[CaseKey] = set()
        self._heartbeat_due = True
        self._next_heartbeat = 0.0
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._keep_time(), name="presence-timer"),
            asyncio.create_task(self._listen(), name="presence-listener"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        # The others forget this instance's part now rather than after its silence.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._publish({"kind": "goodbye"}), GOODBYE_SECONDS)

    # What subscriptions and mutations use.

    def presence(self, key: CaseKey) -> Presence:
        parts = [self._own_part(key)]
        parts += [other.parts[key] for other in self._others.values() if key in other.parts]
        return merge(parts, time.time())

    @contextmanager
    def viewing(self, key: CaseKey, user_id: int) -> Iterator[PresenceWatch]:
        """The user views the case until the block ends; the watch follows its presence."""
        watch = PresenceWatch(self, key)
        self._watches.setdefault(key, set()).add(watch)
        viewers = self._viewing.setdefault(key, Counter())
        viewers[user_id] += 1
        if viewers[user_id] == 1:  # a second tab of the same user changes nothing
            self._changed(key, publish=True)
        try:
            yield watch
        finally:
            # Synchronous, so that it runs however the subscription ends (even cancelled).
            self._discard(self._watches, key, watch)
            viewers[user_id] -= 1
            if viewers[user_id] == 0:
                del viewers[user_id]
                if not viewers:
                    del self._viewing[key]
                self._changed(key, publish=True)

    def set_typing(self, key: CaseKey, user_id: int, typing: bool) -> Presence:
        self._typed.setdefault(key, {})[user_id] = Typed(time.time(), typing)
        self._changed(key, publish=True)
        return self.presence(key)

    # This instance's side.

    def _own_part(self, key: CaseKey) -> CasePart:
        viewers = self._viewing.get(key)
        return CasePart(frozenset(viewers or ()), dict(self._typed.get(key, {})))

    def _changed(self, key: CaseKey, *, publish: bool) -> None:
        if publish:
            self._unpublished.add(key)
            self._wake.set()
        for watch in self._watches.get(key, ()):
            watch.changed.set()

    async def _keep_time(self) -> None:
        """The one timer: publishes changes and heartbeats, ends typing and silent instances."""
        while True:
            delay = self._next_deadline() - time.monotonic()
            if delay > 0 and not self._wake.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):  # no task of its own, as wait_for makes
                        await self._wake.wait()
            self._wake.clear()
            try:
                await self._tick()
            except Exception:
                # Never let presence stop for good; the next heartbeat repairs what was missed.
                log.exception("case presence could not be kept up to date")
                await asyncio.sleep(1.0)

    async def _tick(self) -> None:
        self._expire()
        if self._heartbeat_due or time.monotonic() >= self._next_heartbeat:
            self._heartbeat_due = False
            self._next_heartbeat = time.monotonic() + self._heartbeat
            self._unpublished.clear()
            keys = set(self._viewing) | set(self._typed)
            await self._publish(self._parts_message(keys, complete=True))
        elif self._unpublished:
            keys, self._unpublished = self._unpublished, set()
            await self._publish(self._parts_message(keys, complete=False))

    def _next_deadline(self) -> float:
        """The next moment the timer has work, on the monotonic clock."""
        deadline = self._next_heartbeat
        ends = [
            end
            for parts in (self._own_parts(), *(o.parts.values() for o in self._others.values()))
            for part in parts
            for end in part.typing_ends()
        ]
        if ends:
            deadline = min(deadline, min(ends) - time.time() + time.monotonic())
        silent = [other.silent_after for other in self._others.values()]
        return min([deadline, *silent])

    def _own_parts(self) -> Iterable[CasePart]:
        return (CasePart(typed=typed) for typed in self._typed.values())

    def _expire(self) -> None:
        now, clock = time.time(), time.monotonic()
        for key, typed in list(self._typed.items()):
            ended = [user for user, t in typed.items() if t.expired(now)]
            removed = [typed.pop(user) for user in ended]
            if not typed:
                del self._typed[key]
            if any(t.typing for t in removed):
                # Every instance ends it on the same rule: nothing to publish.
                self._changed(key, publish=False)
        for instance_id, other in list(self._others.items()):
            if clock >= other.silent_after:
                log.info("presence of silent instance %s forgotten", instance_id)
                self._forget(instance_id)
                continue
            for key, part in list(other.parts.items()):
                current = part.without_expired(now)
                if current is not part:
                    if current:
                        other.parts[key] = current
                    else:
                        del other.parts[key]
                    self._changed(key, publish=False)

    def _parts_message(self, keys: Iterable[CaseKey], *, complete: bool) -> dict[str, Any]:
        parts = []
        for key in sorted(keys):
            part = self._own_part(key)
            typed = [[user, t.at, t.typing] for user, t in sorted(part.typed.items())]
            if part or not complete:
                parts.append([key[0], key[1], sorted(part.viewers), typed])
        return {
            "kind": "parts",
            "complete": complete,
            "heartbeat": self._heartbeat,
            "parts": parts,
        }

    async def _publish(self, message: dict[str, Any]) -> None:
        message["instance"] = self.instance_id
        await self._bus.publish_all([Announcement(channels.case_presence(), message)])

    # The others' side.

    async def _listen(self) -> None:
        failing = False
        while True:
            try:
                async with self._bus.listen(channels.case_presence()) as listener:
                    await self._greet()
                    failing = False
                    while True:
                        item = await listener.get()
                        if isinstance(item, Resync):
                            await self._greet()
                        else:
                            self._hear(item)
            except ListenerOverflow:
                continue
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not failing:
                    log.warning("cannot follow case presence yet: %r", error)
                failing = True
                await asyncio.sleep(1.0)

    async def _greet(self) -> None:
        """Asks every instance for its parts, and offers ours: either side may have missed some."""
        await self._publish({"kind": "hello"})
        self._heartbeat_due = True
        self._wake.set()

    def _hear(self, message: object) -> None:
        if not isinstance(message, dict):
            return
        instance_id = message.get("instance")
        if not isinstance(instance_id, str) or instance_id == self.instance_id:
            return
        kind = message.get("kind")
        if kind == "goodbye":
            self._forget(instance_id)
        elif kind == "hello":
            self._heartbeat_due = True
            self._wake.set()
        elif kind == "parts":
            try:
                heartbeat = float(message["heartbeat"])
                if not 0 < heartbeat < math.inf:
                    raise ValueError(f"not a heartbeat: {heartbeat}")
                parts = dict(_parse_part(raw) for raw in message["parts"])
            except (KeyError, TypeError, ValueError):
                log.error("malformed presence from instance %s", instance_id)
                return
            self._take_parts(instance_id, heartbeat, parts, complete=message.get("complete"))

    def _take_parts(
        self,
        instance_id: str,
        heartbeat: float,
        parts: dict[CaseKey, CasePart],
        *,
        complete: object,
    ) -> None:
        other = self._others.get(instance_id)
        if other is None:
            other = self._others[instance_id] = _Instance(time.monotonic(), heartbeat)
        other.heard_at = time.monotonic()
        other.heartbeat = heartbeat
        keys = set(parts) | (set(other.parts) if complete is True else set())
        for key in keys:
            part = parts.get(key, CasePart())
            if other.parts.get(key, CasePart()) == part:
                continue
            if part:
                other.parts[key] = part
            else:
                other.parts.pop(key, None)
            self._changed(key, publish=False)
        # Its silence deadline moved, and its typing may end before the timer's next wake.
        self._wake.set()

    def _forget(self, instance_id: str) -> None:
        other = self._others.pop(instance_id, None)
        if other is not None:
            for key in other.parts:
                self._changed(key, publish=False)

    @staticmethod
    def _discard(
        index: dict[CaseKey, set[PresenceWatch]], key: CaseKey, watch: PresenceWatch
    ) -> None:
        watches = index.get(key)
        if watches is not None:
            watches.discard(watch)
            if not watches:
                del index[key]


def _parse_part(raw: Any) -> tuple[CaseKey, CasePart]:
    tenant_id, case_id, viewers, typed = raw
    key = (_integer(tenant_id), _integer(case_id))
    typed_by_user = {_integer(user): Typed(float(at), typing is True) for user, at, typing in typed}
    return key, CasePart(frozenset(_integer(v) for v in viewers), typed_by_user)


def _integer(value: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"not an id: {value!r}")
    return value
