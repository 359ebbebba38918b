"""Prompt caching billed the way the Messages API bills it, and the usage a reply reports.

Prefix order tools → system → messages; each block carrying ``cache_control`` is a breakpoint (ttl 5m, or 1h
with ``"ttl": "1h"``); a cache entry is the hash of the model and the whole prefix up to a breakpoint. The
longest cached prefix ending at a breakpoint or at one of the ``LOOKBACK_BLOCKS`` block boundaries before it is
read; every breakpoint past it is written; the tokens after the last written breakpoint are plain input.
Prefixes below the model's minimum are never cached. Entries expire after their ttl on the emulator's clock,
and a hit refreshes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from localcloud.emulators.model.tokens import TTL_SECONDS, Segment

__all__ = [
    "LOOKBACK_BLOCKS",
    "MAX_CACHE_BREAKPOINTS",
    "Boundary",
    "CacheEntry",
    "CachePlan",
    "apply_cache_plan",
    "complete_usage",
    "find_cache_hit",
    "min_cacheable_tokens",
    "plan_cache",
    "prefix_boundaries",
    "usage_from_plan",
]

LOOKBACK_BLOCKS = 20
MAX_CACHE_BREAKPOINTS = 4


@dataclass(frozen=True)
class Boundary:
    """The prompt prefix ending after one segment: its cache key, cumulative tokens and breakpoint ttl."""

    key: str
    tokens: int
    ttl: float | None = None


@dataclass(frozen=True)
class CacheEntry:
    expires_at: float
    ttl: float


@dataclass(frozen=True)
class CachePlan:
    input_tokens: int
    cache_read_input_tokens: int = 0
    ephemeral_5m_input_tokens: int = 0
    ephemeral_1h_input_tokens: int = 0
    updates: dict[str, CacheEntry] = field(default_factory=dict)

    @property
    def cache_creation_input_tokens(self) -> int:
        return self.ephemeral_5m_input_tokens + self.ephemeral_1h_input_tokens


def min_cacheable_tokens(model: str) -> int:
    return 2048 if "haiku" in model.lower() else 1024


def prefix_boundaries(model: str, segments: Sequence[Segment]) -> list[Boundary]:
    digest = hashlib.sha256(f"{len(model)}:{model}".encode())
    boundaries: list[Boundary] = []
    tokens = 0
    for segment in segments:
        digest.update(f"{len(segment.key)}:{segment.key}".encode())
        tokens += segment.tokens
        boundaries.append(Boundary(digest.hexdigest(), tokens, segment.ttl))
    return boundaries


def is_live(cache: Mapping[str, CacheEntry], key: str, now: float) -> bool:
    entry = cache.get(key)
    return entry is not None and entry.expires_at > now


def find_cache_hit(
    boundaries: Sequence[Boundary], cache: Mapping[str, CacheEntry], now: float, min_tokens: int
) -> Boundary | None:
    """The longest live cached prefix ending at a breakpoint or up to ``LOOKBACK_BLOCKS`` blocks before it."""
    best: Boundary | None = None
    for b, boundary in enumerate(boundaries):
        if boundary.ttl is None:
            continue
        for candidate in boundaries[max(0, b - LOOKBACK_BLOCKS) : b + 1]:
            if candidate.tokens < min_tokens or not is_live(cache, candidate.key, now):
                continue
            if best is None or candidate.tokens > best.tokens:
                best = candidate
    return best


def plan_cache(
    boundaries: Sequence[Boundary], cache: Mapping[str, CacheEntry], now: float, min_tokens: int
) -> CachePlan:
    total = boundaries[-1].tokens if boundaries else 0
    hit = find_cache_hit(boundaries, cache, now, min_tokens)
    read = hit.tokens if hit else 0
    updates: dict[str, CacheEntry] = {}
    if hit is not None:
        updates[hit.key] = CacheEntry(now + cache[hit.key].ttl, cache[hit.key].ttl)
    covered = read
    created = {TTL_SECONDS["5m"]: 0, TTL_SECONDS["1h"]: 0}
    for boundary in boundaries:
        if boundary.ttl is None or boundary.tokens < min_tokens or boundary.tokens <= covered:
            continue
        created[boundary.ttl] += boundary.tokens - covered
        covered = boundary.tokens
        updates[boundary.key] = CacheEntry(now + boundary.ttl, boundary.ttl)
    return CachePlan(
        input_tokens=total - covered,
        cache_read_input_tokens=read,
        ephemeral_5m_input_tokens=created[TTL_SECONDS["5m"]],
        ephemeral_1h_input_tokens=created[TTL_SECONDS["1h"]],
        updates=updates,
    )


def apply_cache_plan(cache: Mapping[str, CacheEntry], plan: CachePlan, now: float) -> dict[str, CacheEntry]:
    merged = {**cache, **plan.updates}
    return {key: entry for key, entry in merged.items() if entry.expires_at > now}


def usage_from_plan(plan: CachePlan, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": plan.input_tokens,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": plan.cache_creation_input_tokens,
        "cache_read_input_tokens": plan.cache_read_input_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": plan.ephemeral_5m_input_tokens,
            "ephemeral_1h_input_tokens": plan.ephemeral_1h_input_tokens,
        },
    }


def complete_usage(given: Mapping[str, Any]) -> dict[str, Any]:
    """A scripted usage with the missing fields filled; the ttl split defaults to all 5m."""
    split = given.get("cache_creation") or {}
    five, one = split.get("ephemeral_5m_input_tokens"), split.get("ephemeral_1h_input_tokens")
    created = given.get("cache_creation_input_tokens")
    if created is None:
        created = (five or 0) + (one or 0)
    if five is None and one is None:
        five, one = created, 0
    elif five is None:
        five = max(0, created - one)
    elif one is None:
        one = max(0, created - five)
    return {
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_input_tokens": 0,
        **given,
        "cache_creation_input_tokens": created,
        "cache_creation": {**split, "ephemeral_5m_input_tokens": five, "ephemeral_1h_input_tokens": one},
    }
