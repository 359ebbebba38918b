"""WebSocket connections: who they belong to, which jobs they follow, and replay of missed events."""

from __future__ import annotations

from cofounder import clock
from cofounder.errors import ConnectionGone, NotFound
from cofounder.ports import ConnectionRegistry
from cofounder.services.escalations import owned_job
from cofounder.services.runtime import Runtime

REPLAY_PAGE = 200
"""Missed events read from the log per query when a subscription replays them."""


def _connections(rt: Runtime) -> ConnectionRegistry:
    if rt.connections is None:
        raise RuntimeError("this runtime has no connections table configured")
    return rt.connections


def connect(rt: Runtime, connection_id: str, owner_id: str) -> None:
    _connections(rt).put_connection(connection_id, owner_id, clock.now().isoformat())


def disconnect(rt: Runtime, connection_id: str) -> None:
    _connections(rt).remove(connection_id)


def subscribe(rt: Runtime, connection_id: str, job_id: str, after: int = 0) -> int:
    """Subscribe first, then send what was missed: a client may see an event twice (dedupe by event_id),
    never miss one. Returns how many missed events were sent."""
    connections = _connections(rt)
    owner = connections.owner_of(connection_id)
    if owner is None:
        raise NotFound(f"connection {connection_id} is not registered")
    owned_job(rt, job_id, owner)
    connections.subscribe(connection_id, job_id)
    return _replay(rt, connection_id, job_id, after)


def _replay(rt: Runtime, connection_id: str, job_id: str, after: int) -> int:
    """The missed events, read and sent one page at a time (a long log is never held or sent whole)."""
    sent = 0
    while page := rt.store.events_after(job_id, after, REPLAY_PAGE):
        try:
            rt.pusher.send(connection_id, page)
        except ConnectionGone:
            rt.pusher.forget(connection_id)
            break
        sent += len(page)
        if len(page) < REPLAY_PAGE:
            break
        after = page[-1]["event_id"]
    return sent


def unsubscribe(rt: Runtime, connection_id: str, job_id: str) -> None:
    _connections(rt).unsubscribe(connection_id, job_id)
