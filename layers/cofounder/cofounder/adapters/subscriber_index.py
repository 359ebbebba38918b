"""Who is subscribed to a job: DynamoDB is the truth, a Redis set caches it for the step's hot path.

`CachedConnections` is the `ConnectionRegistry` the services and the pusher use: it delegates to the
connections table and keeps the cached sets in step with every subscribe, unsubscribe and removal.
"""

from __future__ import annotations

import logging
from typing import Any

import redis

from cofounder.ports import ConnectionRegistry

log = logging.getLogger(__name__)

CACHE_TTL_S = 60
"""Short: the index behind it is eventually consistent, so a cached set heals itself within a minute."""
SENTINEL = "-"
"""Always in a cached set, so "no subscribers" (cached) and "not cached" (missing key) differ."""

_ADD_IF_CACHED = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('sadd', KEYS[1], ARGV[1]) end return 0"


def subscribers_key(job_id: str) -> str:
    return f"cofounder:job:{job_id}:subscribers"


class CachedConnections:
    def __init__(self, table: ConnectionRegistry, cache: redis.Redis | None) -> None:
        self._table = table
        self._cache = cache

    def put_connection(self, connection_id: str, owner_id: str, connected_at: str) -> None:
        self._table.put_connection(connection_id, owner_id, connected_at)

    def owner_of(self, connection_id: str) -> str | None:
        return self._table.owner_of(connection_id)

    def subscribe(self, connection_id: str, job_id: str) -> None:
        self._table.subscribe(connection_id, job_id)
        if self._cache is not None:
            try:
                self._cache.eval(_ADD_IF_CACHED, 1, subscribers_key(job_id), connection_id)
            except redis.RedisError as exc:
                log.warning("subscriber cache not updated: %s", exc)

    def unsubscribe(self, connection_id: str, job_id: str) -> None:
        self._table.unsubscribe(connection_id, job_id)
        self._uncache([job_id], connection_id)

    def remove(self, connection_id: str) -> list[str]:
        jobs = self._table.remove(connection_id)
        self._uncache(jobs, connection_id)
        return jobs

    def subscribers(self, job_id: str) -> list[str]:
        if self._cache is None:
            return self._table.subscribers(job_id)
        key = subscribers_key(job_id)
        try:
            cached = self._cache.smembers(key)
        except redis.RedisError as exc:
            log.warning("subscriber cache unavailable (%s): reading the connections table", exc)
            return self._table.subscribers(job_id)
        if cached:
            return sorted(m for m in cached if m != SENTINEL)
        ids = self._table.subscribers(job_id)
        self._quietly(lambda pipe: (pipe.sadd(key, SENTINEL, *ids), pipe.expire(key, CACHE_TTL_S)))
        return ids

    def _uncache(self, job_ids: list[str], connection_id: str) -> None:
        self._quietly(lambda pipe: [pipe.srem(subscribers_key(j), connection_id) for j in job_ids])

    def _quietly(self, fill: Any) -> None:
        if self._cache is None:
            return
        try:
            pipe = self._cache.pipeline(transaction=False)
            fill(pipe)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("subscriber cache not updated: %s", exc)
