"""A replayed batch of rows: read once for the subscriptions resuming together, rendered
once per kind of request, the same characters sent to each of them.

Subscriptions of one channel resuming from the same cursor at the same moment (a reconnect
storm) share the batch's read (`EventReads.replay`, keyed by `follow.replay_key`: channel,
cursor, tenant, kind of viewer and customer). Within the batch, those who would get the same
answer share its rendering as the hub's dispatchers share an event's (render.py): one
execution per row in one scope, without a transaction, so each relation of the batch (a
comment's author) is read in one statement for all of its rows. Who would get the same
answer is `rendering_key`: the document, its operation and variables, who asks
(subscriber.who_asks: kind of viewer, tenant, role, the user for their own settings), and
the customer of a portal contact.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from db.engine import Database
from db.streams import StreamRow
from graph.live.render import frame_tail, render
from graph.live.subscriber import Subscriber

M = TypeVar("M", bound=StreamRow)


def rendering_key(subscriber: Subscriber) -> Hashable:
    """Which subscribers of one batch may be sent the same characters."""
    return (*subscriber.render_key, subscriber.viewer.customer_id)


@dataclass(eq=False)
class ReplayBatch(Generic[M]):
    """One batch of a stream after a cursor, as read for everyone who asked it together."""

    rows: Sequence[M]
    db: Database
    tenant_id: int
    _renderings: dict[Hashable, asyncio.Future[list[str]]] = field(default_factory=dict)

    async def tails(self, subscriber: Subscriber) -> list[str]:
        """The batch's messages for `subscriber` after their head (render.frame_tail),
        rendered once for everyone with its `rendering_key`."""
        if not self.rows:
            return []
        key = rendering_key(subscriber)
        shared = self._renderings.get(key)
        if shared is None:
            # A task of its own, in a context of its own: it serves every subscriber with
            # this key, whichever of them leaves meanwhile.
            shared = self._renderings[key] = asyncio.get_running_loop().create_task(
                self._render(subscriber), context=contextvars.Context()
            )
            shared.add_done_callback(_retrieve)
        return await asyncio.shield(shared)

    async def _render(self, subscriber: Subscriber) -> list[str]:
        wanted = {row.id: (subscriber, row) for row in self.rows}
        payloads = await render(wanted, self.db, self.tenant_id)
        return [frame_tail(payloads[row.id]) for row in self.rows]


def _retrieve(task: asyncio.Future[list[str]]) -> None:
    # Its askers may all have gone meanwhile; each one still there gets the error itself.
    if not task.cancelled():
        task.exception()
