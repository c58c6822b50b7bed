"""A live subscriber: what it asked for, where it is in its stream, and the state it is in.

A subscription joins its channel in the hub while it replays what its client missed, then
goes live. Its states, and every move between them (all made here):

    REPLAYING --event--> BEHIND             events wait until it has replayed
    REPLAYING --go_live--> LIVE
    BEHIND --go_live--> CATCHING_UP         re-reads after its watermark at the next dispatch
    LIVE / CATCHING_UP --delivered--> LIVE
    any --leave--> GONE                     completed, disconnected or refused; final

The socket handler hands the subscription over (`Handover`): once live, the hub sends its
events through the handler (`Outlet`), and the operation ends without `complete`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final, Protocol

from domain.viewer import Viewer
from graph.types.user import OWN_OR_ADMIN_FIELDS


class State(IntEnum):
    # An IntEnum: looked up for every subscriber of every event, and ints hash fast.
    REPLAYING = 1
    BEHIND = 2
    LIVE = 3
    CATCHING_UP = 4
    GONE = 5


# The moves a subscriber may make, by what happened; anything else from GONE is ignored
# (a subscriber may leave while an event it was part of is still being dispatched).
_MOVES: Final[dict[str, dict[State, State]]] = {
    "event": {State.REPLAYING: State.BEHIND, State.BEHIND: State.BEHIND},
    "go_live": {State.REPLAYING: State.LIVE, State.BEHIND: State.CATCHING_UP},
    "delivered": {State.LIVE: State.LIVE, State.CATCHING_UP: State.LIVE},
    "leave": dict.fromkeys(State, State.GONE),
}
RECEIVING: Final = frozenset({State.LIVE, State.CATCHING_UP})
_LIVE: Final = State.LIVE


@dataclass(frozen=True)
class Access:
    """What is re-checked before every event: the sign-in, and the case if there is one."""

    case_id: int | None = None


class Outlet(Protocol):
    """A subscriber's socket, as the hub sees it (its protocol handler, graph/live/sockets/)."""

    def send_text(self, text: str) -> None: ...

    async def drained(self) -> None:
        """Returns once the socket takes messages at once again (sockets/outlet.py)."""

    def end(self, subscriber: Subscriber) -> None:
        """Completes the subscription: its viewer may no longer see the stream."""


class Channel(Protocol):
    """The subscriber's channel in the hub (hub.LiveChannel)."""

    def remove(self, subscriber: Subscriber) -> None: ...

    def wake(self) -> None:
        """Dispatches soon even without an event: someone must catch up."""


def who_asks(query: str, viewer: Viewer) -> tuple[object, ...]:
    """What of the viewer a payload can depend on: the kind of viewer (staff or portal), the
    tenant and the role (what an administrator may read), and the user where the document
    reads a user's own settings. Naming such a field anywhere in the document (a comment
    too) is enough: a rendering shared less than it could be costs time, never data."""
    own = viewer.user_id if any(name in query for name in OWN_OR_ADMIN_FIELDS) else None
    return (viewer.kind, viewer.tenant_id, viewer.role, own)


@dataclass(frozen=True, slots=True)
class Request:
    """A subscription operation as the client sent it, to execute again for every event."""

    schema: Any  # strawberry.Schema
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


@dataclass(eq=False, slots=True)
class Subscriber:
    outlet: Outlet
    operation_id: str
    # The protocol's message up to its payload, operation id included (render.frame_head).
    head: str
    request: Request
    # What the operation runs with (graph.context.Context), for rendering its events.
    context: object
    viewer: Viewer
    to_payload: Callable[[Any], Any]
    state: State = State.REPLAYING
    # The id of the last row it got (or the newest when it started without a cursor).
    watermark: int | None = None
    channel: Channel | None = None
    # The channel's own small number for `render_key`, cheap to group by per event.
    render_id: int = 0

    @property
    def render_key(self) -> tuple[object, ...]:
        """Who gets the same payload: document, operation, variables and who asks."""
        request = self.request
        variables = json.dumps(request.variables, sort_keys=True, default=str)
        return (
            request.query,
            request.operation_name or "",
            variables,
            *who_asks(request.query, self.viewer),
        )

    @property
    def receiving(self) -> bool:
        """Live: events are delivered to it."""
        return self.state in RECEIVING

    @property
    def catching_up(self) -> bool:
        """Events came while it replayed: its next delivery re-reads after its watermark."""
        return self.state is State.CATCHING_UP

    def missed_event(self) -> None:
        """An event came while it was still replaying."""
        self._move("event")

    def go_live(self, watermark: int | None) -> None:
        """Done replaying, up to `watermark`; what it missed meanwhile is read at once."""
        self.watermark = watermark
        self._move("go_live")
        if self.state is State.CATCHING_UP and self.channel is not None:
            self.channel.wake()

    async def send_replayed(self, tails: Sequence[str]) -> None:
        """Sends replayed messages (render.frame_tail) with its own head while it replays,
        as fast as its client reads them: a long replay must not fill the socket's backlog."""
        outlet = self.outlet
        head = self.head
        for tail in tails:
            await outlet.drained()  # at once, unless the client reads slower than we send
            if self.state is State.GONE:
                return
            outlet.send_text(head + tail)

    def deliver(self, tails: list[str], watermark: int) -> None:
        """Sends messages whose payloads were rendered for its request (render.frame_tail)
        with its own head, and moves on to `watermark`. Runs for every subscriber of every
        event: one call, no more."""
        if self.state not in RECEIVING:
            return  # gone while the event was read and rendered
        send = self.outlet.send_text
        head = self.head
        for tail in tails:
            send(head + tail)
        self.watermark = watermark
        if self.state is not _LIVE:  # already there: the usual case
            self._move("delivered")

    def leave(self) -> None:
        """Completed, disconnected or refused: out of its channel for good."""
        if self.state is State.GONE:
            return
        self._move("leave")
        if self.channel is not None:
            self.channel.remove(self)

    def _move(self, what: str) -> None:
        moved = _MOVES[what].get(self.state)
        if moved is not None:
            self.state = moved
        elif self.state is not State.GONE:
            raise RuntimeError(f"a {self.state.name} subscriber cannot take {what!r}")


@dataclass(eq=False, slots=True)
class Handover:
    """Set by a socket handler around one operation: where `follow` hands its subscription.

    `follow` (graph/live/follow.py) replays what the client missed, then makes the
    subscriber live in the hub and calls `on_live`: from then on the hub delivers, and the
    handler ends the operation without `complete` when its stream ends.
    """

    outlet: Outlet
    operation_id: str
    head: str
    request: Request
    on_live: Callable[[Subscriber], None]
    # The subscriber, once live: its operation then ends without `complete`.
    handed: Subscriber | None = None

    def subscriber(
        self, context: object, viewer: Viewer, to_payload: Callable[[Any], Any]
    ) -> Subscriber:
        return Subscriber(
            outlet=self.outlet,
            operation_id=self.operation_id,
            head=self.head,
            request=self.request,
            context=context,
            viewer=viewer,
            to_payload=to_payload,
        )

    def hand_over(self, subscriber: Subscriber, watermark: int | None) -> None:
        """The subscriber has replayed up to `watermark`: the hub delivers from now on."""
        subscriber.go_live(watermark)
        self.handed = subscriber
        self.on_live(subscriber)


# The operation being run by this task's socket handler, if any.
handing_over: ContextVar[Handover | None] = ContextVar("handing_over", default=None)
