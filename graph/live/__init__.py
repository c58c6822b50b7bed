"""The live side: how an event reaches a socket.

    fields/          the Subscription root fields: check what they name, then follow
    follow.py        replay what the client missed, then hand the subscriber over
    replay.py        a replayed batch, rendered once for those resuming together
    subscriber.py    a subscriber, its states and their moves; the hand-over
    hub.py           one dispatcher per channel: checks, reads and renders each event once
    case_feed.py     one dispatcher per tenant for the live table view (caseChanged),
                     matching each change against every view
    event_reads.py   the sign-in and case checks, one statement for every subscriber
    render.py        executes, masks and encodes a payload once per distinct request
    sockets/         the two WebSocket protocols (graphql-transport-ws, legacy graphql-ws),
                     the outlet that writes to a socket, and the registry of open sockets

Writes reach this side only as events on the bus (bus/event_bus.py), after commit; the
rows themselves are read from the database (db/streams.py). `casePresence`
(fields/presence.py) is the one subscription with a loop of its own: it follows the
presence board (bus/case_presence.py), not a stream of rows.
"""
