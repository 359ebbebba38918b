"""Scenarios: the scripted turns the model emulator replies with, and which turn answers which request.

``{"turns": [content turn | error entry, ...]}``. A content turn is
``{"content": [...blocks...], "stop_reason": ..., "usage": {...}}`` (``stop_reason`` and ``usage`` optional);
an error entry ``{"error": {"status": 529, "times": 2, "retry_after": 1}}`` is not a turn: it makes the first
``times`` requests for the content turn that follows it fail. The reply to a request is the content turn whose
index (content turns only, 0-based) is the number of assistant messages in the request.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_SCENARIO",
    "Scenario",
    "ScriptedError",
    "Turn",
    "assistant_message_count",
    "default_stop_reason",
    "load_scenario",
    "parse_scenario",
    "reply_content",
    "scripted_error_at",
    "scripted_error_headers",
]

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "default.json"


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
    """A scenario file's JSON, checked (a ``ValueError`` names what is wrong)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    parse_scenario(data)
    return data


def assistant_message_count(messages: Sequence[Any]) -> int:
    """The index of the content turn that answers a request with these messages."""
    return sum(1 for m in messages if isinstance(m, dict) and m.get("role") == "assistant")


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
    """The turn's content as a reply: every ``tool_use`` block with an id (stable per turn) and an input."""
    content = copy.deepcopy(turn.content)
    tool_uses = (block for block in content if block.get("type") == "tool_use")
    for ordinal, block in enumerate(tool_uses):
        block.setdefault("id", f"toolu_emu_{turn_index:03d}_{ordinal}")
        block.setdefault("input", {})
    return content


def default_stop_reason(content: Sequence[Mapping[str, Any]]) -> str:
    return "tool_use" if any(block.get("type") == "tool_use" for block in content) else "end_turn"
