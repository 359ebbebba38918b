"""Redis live mirrors (state, budget_pct, wake_at). Never the only copy: failures are logged, not raised."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import redis

from cofounder import clock
from cofounder.domain.budget import iso_utc, seconds_until

log = logging.getLogger(__name__)

STATE_TTL = 90_000
BUDGET_PCT_TTL = 90


def state_key(session_id: str) -> str:
    return f"cofounder:agent:{session_id}:state"


def budget_pct_key(session_id: str) -> str:
    return f"cofounder:agent:{session_id}:budget_pct"


def wake_at_key(session_id: str) -> str:
    return f"cofounder:agent:{session_id}:wake_at"


def redis_client(url: str) -> redis.Redis:
    """Short timeouts: Redis only mirrors, so a slow or absent Redis must not hold a step up."""
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, decode_responses=True)


EMPTY = {"state": None, "budget_pct": None, "wake_at": None}


class RedisMirror:
    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @classmethod
    def from_url(cls, url: str) -> RedisMirror:
        return cls(redis_client(url))

    def write(
        self,
        session_id: str,
        *,
        state: str | None = None,
        budget_pct: int | None = None,
        wake_at: datetime | None = None,
    ) -> None:
        """One round trip for everything a transition mirrors."""
        pipe = self._redis.pipeline(transaction=False)
        if state is not None:
            pipe.set(state_key(session_id), state, ex=STATE_TTL)
        if budget_pct is not None:
            pipe.set(budget_pct_key(session_id), int(budget_pct), ex=BUDGET_PCT_TTL)
        if wake_at is not None:
            pipe.set(wake_at_key(session_id), iso_utc(wake_at), ex=seconds_until(wake_at, clock.now()))
        if not len(pipe):
            return
        try:
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("redis mirror write skipped for session %s: %s", session_id, exc)

    def read(self, session_id: str) -> dict[str, Any]:
        try:
            state, pct, wake_at = self._redis.mget(
                [state_key(session_id), budget_pct_key(session_id), wake_at_key(session_id)]
            )
        except redis.RedisError as exc:
            log.warning("redis mirror read failed for session %s: %s", session_id, exc)
            return dict(EMPTY)
        return {"state": state, "budget_pct": int(pct) if pct is not None else None, "wake_at": wake_at}


class NullMirror:
    """Used when no REDIS_URL is configured: the agent works without live mirrors."""

    def write(self, session_id: str, **_: Any) -> None:
        log.debug("no redis configured: mirror write for %s skipped", session_id)

    def read(self, session_id: str) -> dict[str, Any]:
        return dict(EMPTY)
