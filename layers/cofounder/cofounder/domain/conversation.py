"""Building the Messages API request from the stored conversation (pure)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cofounder.domain.job import Job, Message

SYSTEM_PROMPT = """You are Cofounder, an autonomous AI co-founder working on a founder's goal.
Work in small, concrete steps. Keep your plan current with update_plan and your findings in notes
(save_note / read_notes). When a decision needs the founder (money, legal, brand, irreversible choices,
or you are blocked), call escalate_to_founder with the problem, what you tried and your recommendation,
then wait. When the goal is achieved, call finish with a summary. Every model call costs the founder
money from a daily budget: be economical, never repeat a call that did not help."""

NUDGE = (
    "Continue working toward the goal. Use your tools: call finish(summary) when the goal is met, "
    "or escalate_to_founder when you need a decision."
)
CACHE = {"type": "ephemeral"}
CHARS_PER_TOKEN = 3  # conservative: the real tokenizer gives ~3.5-4 chars per token on English/JSON


@dataclass(frozen=True, slots=True)
class ModelRequest:
    model: str
    system: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    max_tokens: int
    user_id: str

    def estimated_tokens(self) -> int:
        text = json.dumps([self.system, self.tools, self.messages], separators=(",", ":"))
        return math.ceil(len(text) / CHARS_PER_TOKEN)


def clean_block(block: dict[str, Any]) -> dict[str, Any]:
    """Keep only the fields the API accepts back in a request (SDK dumps carry extra nulls)."""
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "text": block.get("text", "")}
    if kind == "tool_use":
        return {"type": "tool_use", "id": block["id"], "name": block["name"], "input": block.get("input") or {}}
    if kind == "thinking":
        return {"type": "thinking", "thinking": block.get("thinking", ""), "signature": block.get("signature", "")}
    return {k: v for k, v in block.items() if v is not None}


def merged(messages: Iterable[Message]) -> list[dict[str, Any]]:
    """API messages with consecutive turns of one role merged into one."""
    out: list[dict[str, Any]] = []
    for message in messages:
        blocks = [dict(b) for b in message.content]
        if out and out[-1]["role"] == message.role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": message.role, "content": blocks})
    return out


def with_tail_cached(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark the conversation's last block as a cache breakpoint, without mutating the input."""
    if not messages or not messages[-1]["content"]:
        return messages
    *head, last = messages
    blocks = [*last["content"][:-1], {**last["content"][-1], "cache_control": CACHE}]
    return [*head, {**last, "content": blocks}]


def build_request(
    job: Job, messages: Sequence[Message], tools: list[dict[str, Any]], max_tokens: int
) -> ModelRequest:
    return ModelRequest(
        model=job.model,
        system=[{"type": "text", "text": SYSTEM_PROMPT, "cache_control": CACHE}],
        tools=tools,
        messages=with_tail_cached(merged(messages)),
        max_tokens=max_tokens,
        user_id=job.session_id,
    )


def goal_message(goal: str) -> tuple[dict[str, Any], ...]:
    return ({"type": "text", "text": f"The founder's goal:\n\n{goal}"},)


def decision_blocks(
    held: Sequence[dict[str, Any]], tool_use_id: str | None, decision: str, guidance: str | None
) -> tuple[dict[str, Any], ...]:
    """The user turn that carries the founder's decision back to the model."""
    answer = {"decision": decision, "guidance": guidance} if guidance else {"decision": decision}
    if tool_use_id:
        result = {"type": "tool_result", "tool_use_id": tool_use_id, "content": json.dumps(answer)}
        return (*held, result)
    text = f"The founder decided: {decision}" + (f"\nGuidance: {guidance}" if guidance else "")
    return (*held, {"type": "text", "text": text})
