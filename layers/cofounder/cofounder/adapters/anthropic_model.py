"""The Anthropic Messages API behind the Model port: streaming, prompt caching, the SDK's retries.

Only the agent step imports this module (importing `anthropic` costs ~1.2 s of cold start).
"""

from __future__ import annotations

from typing import Any

import anthropic

from cofounder.domain.conversation import ModelRequest
from cofounder.errors import ModelCallFailed
from cofounder.ports import ModelResponse

RETRYABLE_STATUS = frozenset({408, 409, 429})


class AnthropicModel:
    def __init__(self, api_key: str, base_url: str | None = None, max_retries: int = 4, timeout: float = 240) -> None:
        self._client = anthropic.Anthropic(
            api_key=api_key, base_url=base_url or None, max_retries=max_retries, timeout=timeout
        )

    def complete(self, request: ModelRequest) -> ModelResponse:
        try:
            with self._client.messages.stream(
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
