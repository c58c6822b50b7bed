"""Live subscribers, one dispatcher per channel: each event read, checked and rendered once.

A subscription starts like any operation: Strawberry validates it, its resolver checks what
it names and replays the rows after the client's cursor (follow.py). Then, on either
WebSocket protocol, the socket handler hands it over here and its operation ends. From then
on the channel's one dispatcher serves every subscriber of the channel on this instance:
per event, the sign-ins (and the case, where there is one) of all of them are checked in
one statement, the new rows are read once, each distinct request (document, variables and
kind of viewer) is executed and encoded once per row (render.py), and each subscriber gets
those same characters framed with its own operation id. Nothing waits per subscriber: the
message goes straight onto its socket (sockets/outlet.py).

Ordering and resumption are the stream's (db/streams.py): every subscriber keeps the id of
the last row it got; events that follow on from it are delivered, anything else is re-read
from the database after that id.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from bus.event_bus import RESYNC, EventBus, Listener, ListenerOverflow, Resync
from db.engine import Database, single_statement
from db.streams import REPLAY_BATCH, TableStream, contiguous
from domain.cases.access import may_see
from graph.live.event_reads import EventReads
from graph.live.render import frame_tail, render
from graph.live.subscriber import Access, Subscriber

log = logging.getLogger("workcloud.live")

# How long a channel nobody listens to any more stays subscribed on the bus.
LINGER_SECONDS = 10.0
# How long a channel waits before trying again when it could not deliver (database away).
RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class CatchUp(Resync):
    """A nudge through a channel's own queue: re-read for the subscribers that went live
    after missing events, and only for them."""


CATCH_UP = CatchUp()


class LiveHub:
    """Every channel with live subscribers on this instance."""

    def __init__(self, bus: EventBus, reads: EventReads, db: Database) -> None:
        self.bus = bus
        self.reads = reads
        self.db = db
        self._channels: dict[str, LiveChannel] = {}

    async def join(
        self,
        channel: str,
        stream: TableStream[Any],
        access: Access,
        subscriber: Subscriber,
    ) -> None:
        """Adds a subscriber that is still replaying; the channel listens from now on.

        A channel's name says what it carries (a case's comments, a user's notifications),
        so its stream and what is re-checked per event are the same for every subscriber.
        """
        live = self._channels.get(channel)
        if live is None or live.closing:
            tenant_id = subscriber.viewer.tenant_id
            live = self._channels[channel] = LiveChannel(self, channel, stream, access, tenant_id)
        live.add(subscriber)
        await live.listening()

    def subscribers_of(self, channel: str) -> list[Subscriber]:
        """The live subscribers of `channel` on this instance."""
        live = self._channels.get(channel)
        return [s for s in live.subscribers if s.receiving] if live is not None else []

    def forget(self, live: LiveChannel) -> None:
        if self._channels.get(live.name) is live:
            del self._channels[live.name]

    async def close(self) -> None:
        for live in list(self._channels.values()):
            await live.stop()
        self._channels.clear()


class LiveChannel:
    def __init__(
        self, hub: LiveHub, name: str, stream: TableStream[Any], access: Access, tenant_id: int
    ) -> None:
        self.hub = hub
        self.name = name
        self.stream = stream
        self.access = access
        self.tenant_id = tenant_id
        self._render_ids: dict[tuple[object, ...], int] = {}
        self.subscribers: set[Subscriber] = set()
        self.closing = False
        self._ready = asyncio.Event()
        self._listener: Listener | None = None
        self._linger: asyncio.TimerHandle | None = None
        # A context of its own: not that of the operation that happened to open the channel.
        self._task = asyncio.create_task(
            self._run(), name=f"live {name}", context=contextvars.Context()
        )

    async def listening(self) -> None:
        await self._ready.wait()
        if self._task.done():
            self._task.result()  # the bus subscription failed: raise it to the subscriber

    def add(self, subscriber: Subscriber) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        subscriber.channel = self
        subscriber.render_id = self._render_ids.setdefault(
            subscriber.render_key, len(self._render_ids)
        )
        self.subscribers.add(subscriber)

    def remove(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        if not self.subscribers and self._linger is None and not self.closing:
            self._linger = asyncio.get_running_loop().call_later(LINGER_SECONDS, self._idle)

    def wake(self) -> None:
        """Someone went live after missing events: dispatch now, re-reading for them."""
        if self._listener is not None:
            self._listener.offer(CATCH_UP)

    def _idle(self) -> None:
        self._linger = None
        if not self.subscribers:
            self.closing = True
            self.hub.forget(self)
            self._task.cancel()

    async def stop(self) -> None:
        self.closing = True
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task

    async def _run(self) -> None:
        reread = False
        try:
            while True:
                async with self.hub.bus.listen(self.name) as listener:
                    self._listener = listener
                    self._ready.set()
                    if reread:
                        listener.offer(RESYNC)
                    try:
                        while True:
                            items = [await listener.get(), *listener.pending()]
                            await self._dispatch_or_retry(listener, items)
                    except ListenerOverflow:
                        # The dispatcher itself fell behind: listen afresh, re-read for all.
                        log.warning("live channel %s overflowed; re-reading", self.name)
                        reread = True
        finally:
            self._ready.set()
            self.closing = True
            self.hub.forget(self)

    async def _dispatch_or_retry(self, listener: Listener, items: list[Any]) -> None:
        try:
            await self._dispatch(items)
        except Exception:
            # The database or the bus is away: the subscribers stay, and re-read from
            # where each of them is once it is back. Nothing is lost, only late.
            log.exception("live channel %s could not deliver; retrying", self.name)
            await asyncio.sleep(RETRY_SECONDS)
            listener.offer(RESYNC)

    async def _dispatch(self, items: list[Any]) -> None:
        announced = [item for item in items if isinstance(item, dict)]
        events = [item for item in announced if "id" in item]
        # A stream's end (its case merged: no row id) is checked like a resync: everyone's
        # case is read, and a subscriber of a merged case completes.
        resync = len(events) < len(announced) or any(
            isinstance(item, Resync) and item is not CATCH_UP for item in items
        )
        live: list[Subscriber] = []
        for subscriber in self.subscribers:
            if subscriber.receiving:
                live.append(subscriber)
            elif events or resync:
                subscriber.missed_event()
        if not live:
            return
        # Subscribers at the same place in the stream asking the same thing get the same
        # characters: one group each, read and rendered once.
        everyone: dict[tuple[int | None, int], list[Subscriber]] = defaultdict(list)
        for subscriber in live:
            everyone[(subscriber.watermark, subscriber.render_id)].append(subscriber)
        # The checks and the rows at once: what is read for a subscriber that may no longer
        # see the stream is simply not sent.
        verdicts, due = await asyncio.gather(
            self._verdicts(live), self._due(everyone, events, resync)
        )
        groups: dict[tuple[int | None, int], list[Subscriber]] = {}
        for key, members in everyone.items():
            allowed = []
            for subscriber in members:
                if verdicts[subscriber.viewer.token_id]:
                    allowed.append(subscriber)
                elif subscriber.receiving:
                    subscriber.outlet.end(subscriber)
            if allowed:
                groups[key] = allowed
        rendered = await self._render(groups, due)
        for (mark, render_id), members in groups.items():
            rows = due[mark]
            if not rows:
                continue
            tails = [rendered[(row.id, render_id)] for row in rows]
            last = rows[-1].id
            for subscriber in members:
                subscriber.deliver(tails, last)

    async def _verdicts(self, live: list[Subscriber]) -> dict[int, bool]:
        """May each token's viewer still see the stream? One statement for all tokens. A
        merged case's streams have ended: its subscribers complete."""
        reads = self.hub.reads
        viewers = {s.viewer.token_id: s.viewer for s in live}
        signed_in = await reads.valid_tokens(viewers)
        case_id = self.access.case_id
        case = (await reads.cases_by_id([case_id])).get(case_id) if case_id is not None else None
        return {
            token: token in signed_in
            and (
                case_id is None
                or (case is not None and case.merged_into_id is None and may_see(viewer, case))
            )
            for token, viewer in viewers.items()
        }

    async def _due(
        self,
        groups: dict[tuple[int | None, int], list[Subscriber]],
        events: list[dict[str, Any]],
        resync: bool,
    ) -> dict[int | None, list[Any]]:
        """The rows due after each distinct watermark, each read once."""
        marks: dict[int | None, bool] = {}  # watermark -> must re-read after it
        for (mark, _key), members in groups.items():
            reread = resync or any(s.catching_up for s in members) or not contiguous(events, mark)
            marks[mark] = marks.get(mark, False) or reread
        following = not all(marks.values())
        fresh = sorted({int(event["id"]) for event in events}) if following else []
        due: dict[int | None, list[Any]] = {}
        async with self.hub.db.session(self.tenant_id) as session:
            await single_statement(session)
            by_id = list(await self.stream.rows_by_id(session, fresh)) if fresh else []
            for mark, reread in marks.items():
                if reread:
                    due[mark] = await self._all_after(session, mark)
        for mark, reread in marks.items():
            if not reread:
                due[mark] = [row for row in by_id if mark is None or row.id > mark]
        return due

    async def _all_after(self, session: Any, mark: int | None) -> list[Any]:
        rows: list[Any] = []
        while True:
            batch = await self.stream.rows_after(session, mark, REPLAY_BATCH, live=True)
            rows += batch
            if len(batch) < REPLAY_BATCH:
                return rows
            mark = batch[-1].id

    async def _render(
        self,
        groups: dict[tuple[int | None, int], list[Subscriber]],
        due: dict[int | None, list[Any]],
    ) -> dict[tuple[int, int], str]:
        """Each distinct request's message tail for each of its rows, rendered once."""
        wanted: dict[tuple[int, int], tuple[Subscriber, Any]] = {}
        for (mark, render_id), members in groups.items():
            for row in due[mark]:
                wanted.setdefault((row.id, render_id), (members[0], row))
        payloads = await render(wanted, self.hub.db, self.tenant_id)
        return {key: frame_tail(payload) for key, payload in payloads.items()}
