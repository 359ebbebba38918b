"""A message as the Messages API streams it: server-sent events, each content block split into deltas."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["FINAL_USAGE_KEYS", "block_events", "split_chunks", "sse_event", "stream_events"]

FINAL_USAGE_KEYS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")


def split_chunks(text: str, parts: int = 2) -> list[str]:
    if not text:
        return []
    size = math.ceil(len(text) / parts)
    return [text[i : i + size] for i in range(0, len(text), size)]


def sse_event(data: Mapping[str, Any]) -> bytes:
    return f"event: {data['type']}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def block_events(index: int, block: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    kind = block.get("type")
    if kind == "text":
        start = {**block, "text": ""}
        deltas = [{"type": "text_delta", "text": c} for c in split_chunks(block.get("text", ""))]
    elif kind == "tool_use":
        start = {**block, "input": {}}
        partial = ["", *split_chunks(json.dumps(block.get("input", {}), ensure_ascii=False), 3)]
        deltas = [{"type": "input_json_delta", "partial_json": c} for c in partial]
    elif kind == "thinking":
        start = {**block, "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": c} for c in split_chunks(block.get("thinking", ""))]
        deltas.append({"type": "signature_delta", "signature": block.get("signature", "")})
    else:
        start, deltas = dict(block), []
    yield {"type": "content_block_start", "index": index, "content_block": start}
    for delta in deltas:
        yield {"type": "content_block_delta", "index": index, "delta": delta}
    yield {"type": "content_block_stop", "index": index}


def stream_events(message: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """``message_start`` (no content yet, 1 output token), ``ping``, each block's events, ``message_delta``
    (stop reason and the final usage), ``message_stop``."""
    usage = message["usage"]
    start_usage = {k: v for k, v in usage.items() if k != "output_tokens"} | {"output_tokens": 1}
    yield {
        "type": "message_start",
        "message": {
            **message,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": start_usage,
        },
    }
    yield {"type": "ping"}
    for index, block in enumerate(message["content"]):
        yield from block_events(index, block)
    yield {
        "type": "message_delta",
        "delta": {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]},
        "usage": {k: usage[k] for k in FINAL_USAGE_KEYS if k in usage},
    }
    yield {"type": "message_stop"}
