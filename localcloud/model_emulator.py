"""A fake Anthropic Messages API serving scripted scenarios (stdlib only).

Scenario: ``{"turns": [content turn | error entry, ...]}``. A content turn is
``{"content": [...blocks...], "stop_reason": ..., "usage": {...}}`` (``stop_reason`` and ``usage`` optional);
an error entry ``{"error": {"status": 529, "times": 2, "retry_after": 1}}`` is not a turn: it makes the first
``times`` requests for the content turn that follows it fail. The reply to a request is the content turn whose
index (content turns only, 0-based) is the number of assistant messages in the request.

Usage, when a turn gives none, is computed like the real API bills it:

- token estimate: every prompt block (tool definition, system block, message content block) costs
  ``ceil(len(text) / 4)`` tokens, where text is the block's ``text``/``thinking`` for text and thinking blocks
  and its canonical JSON (sorted keys, without ``cache_control``) otherwise; a string system prompt or string
  message content is one block. Output tokens are estimated the same way over the reply content.
- prompt caching: prefix order tools → system → messages; each block carrying ``cache_control`` is a
  breakpoint (ttl 5m, or 1h with ``"ttl": "1h"``); a cache entry is the hash of the model and the whole prefix
  up to a breakpoint. The longest cached prefix ending at a breakpoint or at one of the
  ``LOOKBACK_BLOCKS`` block boundaries before it is read; every breakpoint past it is written; the tokens
  after the last written breakpoint are plain input. Prefixes below the model's minimum are never cached.
  Entries expire after their ttl on the emulator's clock, and a hit refreshes it.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import itertools
import json
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import FrameType
from typing import Any

from localcloud.http_server import BackgroundServer, TrackingHTTPServer

DEFAULT_SCENARIO = Path(__file__).parent / "scenarios" / "default.json"
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
LOOKBACK_BLOCKS = 20
MAX_CACHE_BREAKPOINTS = 4
FINAL_USAGE_KEYS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
ERROR_MESSAGES = {
    429: "Number of request tokens has exceeded your per-minute rate limit (scripted)",
    500: "Internal server error (scripted)",
    529: "Overloaded (scripted)",
}


class RequestError(Exception):
    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def error_type_for(status: int) -> str:
    return ERROR_TYPES.get(status, "invalid_request_error")


def error_body(status: int, message: str, request_id: str) -> dict[str, Any]:
    return {
        "type": "error",
        "error": {"type": error_type_for(status), "message": message},
        "request_id": request_id,
    }


@dataclass(frozen=True)
class ScriptedError:
    status: int
    times: int
    retry_after: float | None = None


@dataclass(frozen=True)
class Turn:
    content: list[dict[str, Any]]
    stop_reason: str | None = None
    usage: dict[str, Any] | None = None
    errors: tuple[ScriptedError, ...] = ()


@dataclass(frozen=True)
class Scenario:
    turns: tuple[Turn, ...]
    trailing_errors: tuple[ScriptedError, ...] = ()

    def errors_for(self, index: int) -> tuple[ScriptedError, ...]:
        return self.turns[index].errors if index < len(self.turns) else self.trailing_errors


def parse_error(spec: Any) -> ScriptedError:
    if not isinstance(spec, dict) or not isinstance(spec.get("status"), int):
        raise ValueError(f"error entry needs an integer status: {spec!r}")
    retry_after = spec.get("retry_after")
    return ScriptedError(
        status=spec["status"],
        times=int(spec.get("times", 1)),
        retry_after=None if retry_after is None else float(retry_after),
    )


def parse_content(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list) or not all(isinstance(b, dict) and "type" in b for b in content):
        raise ValueError(f"turn content must be a string or a list of blocks with a type: {content!r}")
    return copy.deepcopy(content)


def parse_scenario(data: Mapping[str, Any] | None) -> Scenario:
    entries = (data or {}).get("turns", [])
    if not isinstance(entries, list):
        raise ValueError("scenario 'turns' must be a list")
    turns: list[Turn] = []
    pending: list[ScriptedError] = []
    for entry in entries:
        if isinstance(entry, dict) and "error" in entry:
            pending.append(parse_error(entry["error"]))
        elif isinstance(entry, dict) and "content" in entry:
            usage = entry.get("usage")
            if usage is not None and not isinstance(usage, dict):
                raise ValueError(f"turn usage must be an object: {usage!r}")
            turns.append(Turn(parse_content(entry["content"]), entry.get("stop_reason"), usage, tuple(pending)))
            pending = []
        else:
            raise ValueError(f"scenario entry is neither a content turn nor an error: {entry!r}")
    return Scenario(tuple(turns), tuple(pending))


def load_scenario(path: str | Path) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    parse_scenario(data)
    return data


def scripted_error_at(errors: Sequence[ScriptedError], attempt: int) -> ScriptedError | None:
    """The error that the ``attempt``-th (0-based) request for a turn fails with, if any."""
    for error in errors:
        if attempt < error.times:
            return error
        attempt -= error.times
    return None


def scripted_error_headers(error: ScriptedError) -> dict[str, str]:
    if error.retry_after is None:
        return {}
    value = error.retry_after
    return {"retry-after": str(int(value)) if value == int(value) else str(value)}


def reply_content(turn: Turn, turn_index: int) -> list[dict[str, Any]]:
    content = copy.deepcopy(turn.content)
    tool_uses = (block for block in content if block.get("type") == "tool_use")
    for ordinal, block in enumerate(tool_uses):
        block.setdefault("id", f"toolu_emu_{turn_index:03d}_{ordinal}")
        block.setdefault("input", {})
    return content


def default_stop_reason(content: Sequence[Mapping[str, Any]]) -> str:
    return "tool_use" if any(block.get("type") == "tool_use" for block in content) else "end_turn"


def assistant_message_count(messages: Sequence[Any]) -> int:
    return sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "assistant")


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


@dataclass(frozen=True)
class Segment:
    """One block of the prompt prefix: its identity, its token estimate and its breakpoint ttl, if any."""

    key: str
    tokens: int
    ttl: float | None = None


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


def estimate_output_tokens(content: Sequence[Mapping[str, Any]]) -> int:
    return max(1, sum(estimate_tokens(block_text(block)) for block in content))


def min_cacheable_tokens(model: str) -> int:
    return 2048 if "haiku" in model.lower() else 1024


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


def count_breakpoints(segments: Sequence[Segment]) -> int:
    return sum(1 for segment in segments if segment.ttl is not None)


def parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestError(400, f"Invalid JSON body: {exc}") from exc
    if not isinstance(body, dict):
        raise RequestError(400, "The request body must be a JSON object")
    return body


def validate_request(body: Mapping[str, Any], *, needs_max_tokens: bool = True) -> None:
    required = ("model", "messages", "max_tokens") if needs_max_tokens else ("model", "messages")
    for name in required:
        if name not in body:
            raise RequestError(400, f"{name}: Field required")
    if not isinstance(body["model"], str) or not body["model"]:
        raise RequestError(400, "model: Input should be a non-empty string")
    if not isinstance(body["messages"], list):
        raise RequestError(400, "messages: Input should be a valid list")
    if needs_max_tokens and (isinstance(body["max_tokens"], bool) or not isinstance(body["max_tokens"], int)):
        raise RequestError(400, "max_tokens: Input should be a valid integer")
    for i, message in enumerate(body["messages"]):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise RequestError(400, f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if "content" not in message:
            raise RequestError(400, f"messages.{i}.content: Field required")


def has_credentials(headers: Mapping[str, str]) -> bool:
    if (headers.get("x-api-key") or "").strip():
        return True
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


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


class _Server(TrackingHTTPServer):
    def __init__(self, address: tuple[str, int], emulator: ModelEmulator) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server
    server_version = "ModelEmulator/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] in ("/health", "/healthz"):
            self._send_json(200, {"status": "ok"}, {})
        else:
            request_id = self.server.emulator.next_id("req_emu_")
            self._send_error(RequestError(404, f"Not found: {self.path}"), request_id)

    def do_POST(self) -> None:
        emulator = self.server.emulator
        request_id = emulator.next_id("req_emu_")
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        path = self.path.split("?", 1)[0]
        try:
            if path == "/v1/messages":
                self._messages(raw, request_id)
            elif path == "/v1/messages/count_tokens":
                self._count_tokens(raw, request_id)
            else:
                raise RequestError(404, f"Not found: {path}")
        except RequestError as exc:
            self._send_error(exc, request_id)

    def _authenticate(self) -> None:
        if not has_credentials({k.lower(): v for k, v in self.headers.items()}):
            raise RequestError(401, "x-api-key header is required")

    def _messages(self, raw: bytes, request_id: str) -> None:
        emulator = self.server.emulator
        try:
            body = parse_body(raw)
        except RequestError:
            self._authenticate()
            raise
        emulator.record_request(body)
        self._authenticate()
        validate_request(body)
        message = emulator.respond(body)
        if body.get("stream"):
            self._send_stream(message, request_id)
        else:
            self._send_json(200, message, {"request-id": request_id})

    def _count_tokens(self, raw: bytes, request_id: str) -> None:
        self._authenticate()
        body = parse_body(raw)
        validate_request(body, needs_max_tokens=False)
        self._send_json(200, {"input_tokens": count_input_tokens(body)}, {"request-id": request_id})

    def _send_error(self, exc: RequestError, request_id: str) -> None:
        headers = {"request-id": request_id, **exc.headers}
        self._send_json(exc.status, error_body(exc.status, exc.message, request_id), headers)

    def _send_json(self, status: int, payload: Any, headers: Mapping[str, str]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status, _reason(status))
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, message: Mapping[str, Any], request_id: str) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("request-id", request_id)
        self.end_headers()
        for event in stream_events(message):
            chunk = sse_event(event)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _reason(status: int) -> str:
    if status == 529:
        return "Overloaded"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ModelEmulator(BackgroundServer):
    """A fake Anthropic Messages API on a local port, replying from a scripted scenario."""

    thread_name = "model-emulator"
    poll_interval = 0.02

    def __init__(
        self,
        scenario: dict[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.clock = clock
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._requests: list[dict[str, Any]] = []
        self._request_times: list[float] = []
        self._attempts: dict[int, int] = {}
        self._cache: dict[str, CacheEntry] = {}
        self._scenario = parse_scenario(scenario)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def _make_server(self) -> _Server:
        return _Server((self.host, self._requested_port), self)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the model emulator is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def set_scenario(self, scenario: dict[str, Any] | None) -> None:
        parsed = parse_scenario(scenario)
        with self._lock:
            self._scenario = parsed
            self._attempts.clear()
            self._cache.clear()

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    @property
    def request_times(self) -> list[float]:
        """Arrival times (``time.monotonic()``) of the requests in ``requests``."""
        with self._lock:
            return list(self._request_times)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
            self._request_times.clear()

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def record_request(self, body: dict[str, Any]) -> None:
        with self._lock:
            self._requests.append(body)
            self._request_times.append(time.monotonic())

    def respond(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The message for a validated request, or a ``RequestError`` scripted or due to the request."""
        segments = prompt_segments(body)
        breakpoints = count_breakpoints(segments)
        if breakpoints > MAX_CACHE_BREAKPOINTS:
            raise RequestError(
                400,
                f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {breakpoints}.",
            )
        index = assistant_message_count(body["messages"])
        with self._lock:
            scenario = self._scenario
            attempt = self._attempts.get(index, 0)
            self._attempts[index] = attempt + 1
            error = scripted_error_at(scenario.errors_for(index), attempt)
            if error is not None:
                message = ERROR_MESSAGES.get(error.status, f"Scripted error {error.status}")
                raise RequestError(error.status, message, scripted_error_headers(error))
            if index >= len(scenario.turns):
                raise RequestError(400, f"scenario has no turn {index}")
            turn = scenario.turns[index]
            content = reply_content(turn, index)
            usage = self._usage(turn, body, segments, content)
        return {
            "id": self.next_id("msg_emu_"),
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": turn.stop_reason or default_stop_reason(content),
            "stop_sequence": None,
            "usage": usage,
        }

    def _usage(
        self,
        turn: Turn,
        body: Mapping[str, Any],
        segments: Sequence[Segment],
        content: Sequence[dict[str, Any]],
    ) -> dict[str, Any]:
        if turn.usage is not None:
            return complete_usage(turn.usage)
        now = self.clock()
        model = str(body["model"])
        plan = plan_cache(prefix_boundaries(model, segments), self._cache, now, min_cacheable_tokens(model))
        self._cache = apply_cache_plan(self._cache, plan, now)
        return usage_from_plan(plan, estimate_output_tokens(content))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fake Anthropic Messages API serving a scripted scenario")
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO, help="scenario JSON file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4010)
    args = parser.parse_args(argv)

    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with ModelEmulator(load_scenario(args.scenario), host=args.host, port=args.port) as emulator:
        print(f"model emulator listening on {emulator.url} (scenario {args.scenario})", flush=True)
        while not stopping.wait(0.5):
            pass
    print("model emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
