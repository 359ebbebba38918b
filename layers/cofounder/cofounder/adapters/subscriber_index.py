"""Who is subscribed to a job: DynamoDB is the truth, a Redis set caches it for the step's hot path."""

from __future__ import annotations

import logging
from typing import Any

import redis

from cofounder.adapters.dynamo_connections import DynamoConnections

log = logging.getLogger(__name__)

CACHE_TTL_S = 60
"""Short: the index behind it is eventually consistent, so a cached set heals itself within a minute."""
SENTINEL = "-"
"""Always in a cached set, so "no subscribers" (cached) and "not cached" (missing key) differ."""

_ADD_IF_CACHED = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('sadd', KEYS[1], ARGV[1]) end return 0"


def subscribers_key(job_id: str) -> str:
    return f"cofounder:job:{job_id}:subscribers"


class SubscriberIndex:
    def __init__(self, connections: DynamoConnections, cache: redis.Redis | None) -> None:
        self.connections = connections
        self._cache = cache

    def subscribers(self, job_id: str) -> list[str]:
        if self._cache is None:
            return self.connections.subscribers(job_id)
        key = subscribers_key(job_id)
        try:
            cached = self._cache.smembers(key)
        except redis.RedisError as exc:
            log.warning("subscriber cache unavailable (%s): reading the connections table", exc)
            return self.connections.subscribers(job_id)
        if cached:
            return sorted(m for m in cached if m != SENTINEL)
        ids = self.connections.subscribers(job_id)
        self._quietly(lambda pipe: (pipe.sadd(key, SENTINEL, *ids), pipe.expire(key, CACHE_TTL_S)))
        return ids

    def added(self, job_id: str, connection_id: str) -> None:
        if self._cache is not None:
            try:
                self._cache.eval(_ADD_IF_CACHED, 1, subscribers_key(job_id), connection_id)
            except redis.RedisError as exc:
                log.warning("subscriber cache not updated: %s", exc)

    def removed(self, job_ids: list[str], connection_id: str) -> None:
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
