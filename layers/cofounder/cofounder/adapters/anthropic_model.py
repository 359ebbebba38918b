"""The Anthropic Messages API behind the Model port: streaming, prompt caching, the SDK's retries.

Only the agent step imports this module (importing `anthropic` is most of its cold start:
bench/RESULTS.md, import_ms_baseline_sdk_anthropic).
"""

from __future__ import annotations

from typing import Any

import anthropic

from cofounder.domain.conversation import ModelRequest
from cofounder.errors import ModelCallFailed
from cofounder.ports import ModelResponse

RETRYABLE_STATUS = frozenset({408, 409, 429})
COMMIT_RESERVE_S = 20.0
"""Left over after the call for the journal, the tools and the commit."""
MIN_ATTEMPT_S = 60.0
"""An attempt shorter than this is not worth starting (long generations stream for minutes)."""


def call_limits(time_left_s: float | None, timeout_s: float, max_retries: int) -> tuple[float, int]:
    """(timeout per attempt, retries) so that every attempt together ends before the invocation does."""
    if time_left_s is None:
        return timeout_s, max_retries
    usable = max(time_left_s - COMMIT_RESERVE_S, 1.0)
    retries = max_retries
    while retries > 0 and usable / (retries + 1) < MIN_ATTEMPT_S:
        retries -= 1
    return min(timeout_s, usable / (retries + 1)), retries


class AnthropicModel:
    def __init__(self, api_key: str, base_url: str | None = None, max_retries: int = 4, timeout: float = 240) -> None:
        self._client = anthropic.Anthropic(
            api_key=api_key, base_url=base_url or None, max_retries=max_retries, timeout=timeout
        )
        self._timeout = timeout
        self._max_retries = max_retries

    def complete(self, request: ModelRequest, time_left_s: float | None = None) -> ModelResponse:
        timeout, retries = call_limits(time_left_s, self._timeout, self._max_retries)
        client = self._client.with_options(timeout=timeout, max_retries=retries)
        try:
            with client.messages.stream(
                model=request.model,
                max_tokens=request.max_tokens,
                system=request.system,  # type: ignore[arg-type]
                tools=request.tools,  # type: ignore[arg-type]
                messages=request.messages,  # type: ignore[arg-type]
                metadata={"user_id": request.user_id},
            ) as stream:
                message = stream.get_final_message()
        except anthropic.APIStatusError as exc:
            retryable = exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500
            raise ModelCallFailed(str(exc), retryable=retryable, status=exc.status_code) from exc
        except anthropic.APIConnectionError as exc:
            raise ModelCallFailed(f"cannot reach the model: {exc}", retryable=True) from exc
        return ModelResponse(
            content=[_block(b) for b in message.content],
            stop_reason=message.stop_reason,
            usage=message.usage.model_dump(exclude_none=True),
            model=message.model,
        )


def _block(block: Any) -> dict[str, Any]:
    return block.model_dump(exclude_none=True)
