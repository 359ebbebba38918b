"""The model emulator's state and replies: the scenario, the attempts per turn, the prompt cache, the requests."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from localcloud.emulators.model.prompt_cache import (
    MAX_CACHE_BREAKPOINTS,
    CacheEntry,
    apply_cache_plan,
    complete_usage,
    min_cacheable_tokens,
    plan_cache,
    prefix_boundaries,
    usage_from_plan,
)
from localcloud.emulators.model.protocol import ERROR_MESSAGES, RequestError
from localcloud.emulators.model.scenarios import (
    Turn,
    assistant_message_count,
    default_stop_reason,
    parse_scenario,
    reply_content,
    scripted_error_at,
    scripted_error_headers,
)
from localcloud.emulators.model.tokens import Segment, count_breakpoints, estimate_output_tokens, prompt_segments

__all__ = ["ScenarioResponder"]


class ScenarioResponder:
    """Replies to validated Messages API requests from a scenario; thread-safe."""

    def __init__(self, scenario: Mapping[str, Any] | None = None, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._requests: list[dict[str, Any]] = []
        self._request_times: list[float] = []
        self._attempts: dict[int, int] = {}
        self._cache: dict[str, CacheEntry] = {}
        self._scenario = parse_scenario(scenario)

    def set_scenario(self, scenario: Mapping[str, Any] | None) -> None:
        """Serve another scenario from its first turn, with an empty prompt cache."""
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
