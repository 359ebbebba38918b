"""Building scenarios and driving a job's steps through the services."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from cofounder.domain.job import Job
from cofounder.entrypoints.step_messages import handle_step_message
from cofounder.services.jobs import create_job
from cofounder.services.runtime import Runtime
from cofounder.services.step import StepReport

OWNER = "founder-1"
MODEL = "claude-haiku-4-5"


def tool_turn(name: str, tool_input: dict[str, Any], *, text: str = "Working on it.", usage: dict | None = None):
    turn: dict[str, Any] = {
        "content": [{"type": "text", "text": text}, {"type": "tool_use", "name": name, "input": tool_input}]
    }
    if usage:
        turn["usage"] = usage
    return turn


def text_turn(text: str, usage: dict | None = None) -> dict[str, Any]:
    turn: dict[str, Any] = {"content": [{"type": "text", "text": text}]}
    if usage:
        turn["usage"] = usage
    return turn


def note(i: int, **kw: Any) -> dict[str, Any]:
    return tool_turn("save_note", {"key": f"k{i}", "text": f"finding {i}"}, **kw)


FINISH = tool_turn("finish", {"summary": "All done."})
ESCALATE = tool_turn("escalate_to_founder", {"problem": "Need a call", "tried": "Research", "recommended_action": "Go"})


def start(
    rt: Runtime,
    emulator: Any,
    turns: list[dict[str, Any]],
    *,
    budget: str = "10",
    owner: str = OWNER,
    model: str = MODEL,
) -> Job:
    emulator.set_scenario({"turns": turns})
    emulator.clear_requests()
    return create_job(rt, owner, "Find product-market fit", Decimal(budget), model)


def step(rt: Runtime, job_id: str, receive_count: int = 1) -> StepReport | None:
    """Deliver the job's next step message (what SQS would do, the `receive_count`-th time)."""
    body = json.dumps({"job_id": job_id, "step": rt.store.get_job(job_id).step})
    return handle_step_message(rt, body, receive_count)


def types(rt: Runtime, job_id: str) -> list[str]:
    return [e["type"] for e in rt.store.events_after(job_id, 0)]
