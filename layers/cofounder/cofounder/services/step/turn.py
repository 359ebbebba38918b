"""Act on the model's turn: run its tool calls and gather what they asked the runtime to do."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cofounder.domain.budget import budget_pct
from cofounder.domain.job import JobSnapshot
from cofounder.domain.outcomes import EscalationDraft
from cofounder.domain.pricing import Usage, cost_usd
from cofounder.domain.runaway import call_signature, repeated_call
from cofounder.ports import ModelResponse, Reservation
from cofounder.tools import ToolContext, ToolRegistry, ToolResult

PREVIEW = 500
REPEATED = "Not run: this exact call was repeated; asking the founder."
MAX_TOOL_CALLS = 20
"""Tool calls run per turn (a step's commit is one transaction of at most 100 writes); the rest are refused."""
TOO_MANY = f"Not run: at most {MAX_TOOL_CALLS} tool calls are run per turn; make the rest in your next turn."


@dataclass(frozen=True, slots=True)
class Turn:
    """A paid model call and what its tools did: the value `act` hands to the conclusion."""

    response: ModelResponse
    usage: Usage
    cost: Decimal
    reservation: Reservation
    budget_pct: int
    tool_calls: list[dict[str, Any]]
    """Previews for the step's event."""
    results: list[tuple[str, ToolResult]]
    """(tool_use_id, result) in call order."""
    signatures: list[str]
    repeated: str | None
    """The signature of a call repeated past the runaway limit (its tools were not run)."""
    plan: list[str] | None
    notes: dict[str, str]
    escalation: EscalationDraft | None
    summary: str | None


Record = Callable[[str, ToolResult], None]


def act(
    tools: ToolRegistry,
    snapshot: JobSnapshot,
    response: ModelResponse,
    reservation: Reservation,
    *,
    done: Mapping[str, ToolResult] | None = None,
    record: Record | None = None,
) -> Turn:
    """Run the turn's tool calls in order. A journaled tool whose result is in `done` (it completed in an
    earlier delivery of this step) is not run again; one that runs now is `record`ed as soon as it returns."""
    job = snapshot.job
    done = done or {}
    usage = Usage.from_api(response.usage)
    cost = cost_usd(job.model, usage)
    tool_uses = [b for b in response.content if b.get("type") == "tool_use"]
    signatures = [call_signature(b["name"], b.get("input")) for b in tool_uses]
    repeated = repeated_call(job.recent_calls, signatures)
    ctx = ToolContext(job.job_id, job.session_id, job.step, dict(snapshot.notes), list(job.plan))
    results: list[tuple[str, ToolResult]] = []
    for index, block in enumerate(tool_uses):
        if index >= MAX_TOOL_CALLS:
            result = ToolResult(TOO_MANY, is_error=True)
        elif repeated:
            result = ToolResult(REPEATED, is_error=True)
        elif block["id"] in done:
            result = done[block["id"]]
        else:
            ctx.tool_use_id = block["id"]
            result = tools.run(block["name"], block.get("input"), ctx)
            if record is not None and tools.journaled(block["name"]):
                record(block["id"], result)
        results.append((block["id"], result))
    return Turn(
        response=response,
        usage=usage,
        cost=cost,
        reservation=reservation,
        budget_pct=budget_pct(reservation.spent + cost, job.daily_budget_usd),
        tool_calls=[
            {"name": b["name"], "input": b.get("input"), "is_error": r.is_error, "result": r.content[:PREVIEW]}
            for b, (_, r) in zip(tool_uses, results, strict=True)
        ],
        results=results,
        signatures=signatures,
        repeated=repeated,
        plan=ctx.effects.plan,
        notes=ctx.effects.notes,
        escalation=ctx.effects.escalation,
        summary=ctx.effects.summary,
    )
