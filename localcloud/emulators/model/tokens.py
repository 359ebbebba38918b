"""Token estimates: what a prompt (tools → system → messages) and a reply cost, block by block.

Every prompt block (tool definition, system block, message content block) costs ``ceil(len(text) / 4)`` tokens,
where text is the block's ``text``/``thinking`` for text and thinking blocks and its canonical JSON (sorted keys,
without ``cache_control``) otherwise; a string system prompt or string message content is one block. Output
tokens are estimated the same way over the reply content.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "TTL_SECONDS",
    "Segment",
    "block_text",
    "count_breakpoints",
    "count_input_tokens",
    "estimate_output_tokens",
    "estimate_tokens",
    "prompt_segments",
]

TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


@dataclass(frozen=True)
class Segment:
    """One block of the prompt prefix: its identity, its token estimate and its breakpoint ttl, if any."""

    key: str
    tokens: int
    ttl: float | None = None


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def without_cache_control(block: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if k != "cache_control"}


def block_text(block: Mapping[str, Any]) -> str:
    kind = block.get("type")
    if kind == "text" and isinstance(block.get("text"), str):
        return block["text"]
    if kind == "thinking" and isinstance(block.get("thinking"), str):
        return block["thinking"]
    if kind == "tool_use":
        return str(block.get("name", "")) + canonical_json(block.get("input", {}))
    return canonical_json(without_cache_control(block))


def breakpoint_ttl(cache_control: Any) -> float | None:
    if not isinstance(cache_control, dict):
        return None
    return TTL_SECONDS.get(str(cache_control.get("ttl", "5m")), TTL_SECONDS["5m"])


def block_segment(prefix: str, block: Any) -> Segment:
    if isinstance(block, str):
        return Segment(prefix + canonical_json(block), estimate_tokens(block))
    if not isinstance(block, dict):
        return Segment(prefix + canonical_json(block), estimate_tokens(canonical_json(block)))
    return Segment(
        prefix + canonical_json(without_cache_control(block)),
        estimate_tokens(block_text(block)),
        breakpoint_ttl(block.get("cache_control")),
    )


def blocks_of(content: Any) -> list[Any]:
    return content if isinstance(content, list) else [content]


def prompt_segments(body: Mapping[str, Any]) -> list[Segment]:
    """The request's prompt as segments, in prefix order: tools, system, then every message's blocks."""
    segments = [block_segment("tool:", tool) for tool in body.get("tools") or []]
    system = body.get("system")
    if system:
        segments += [block_segment("system:", block) for block in blocks_of(system)]
    for i, message in enumerate(body.get("messages") or []):
        if not isinstance(message, dict):
            continue
        prefix = f"message:{i}:{message.get('role')}:"
        segments += [block_segment(prefix, block) for block in blocks_of(message.get("content", ""))]
    return segments


def count_input_tokens(body: Mapping[str, Any]) -> int:
    return sum(segment.tokens for segment in prompt_segments(body))


def count_breakpoints(segments: Sequence[Segment]) -> int:
    return sum(1 for segment in segments if segment.ttl is not None)


def estimate_output_tokens(content: Sequence[Mapping[str, Any]]) -> int:
    return max(1, sum(estimate_tokens(block_text(block)) for block in content))
