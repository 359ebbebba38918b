"""What a step's outcome changes: the `Change` the write path commits (pure but for the escalation's id)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from cofounder.domain import events
from cofounder.domain.budget import iso_utc
from cofounder.domain.conversation import NUDGE, clean_block
from cofounder.domain.events import EventDraft
from cofounder.domain.job import Escalation, Job
from cofounder.domain.outcomes import Complete, Continue, Escalate, Fail, Outcome, Sleep
from cofounder.domain.runaway import trim_history
from cofounder.domain.states import AgentState
from cofounder.ports import Settlement
from cofounder.services.step.turn import Turn
from cofounder.services.transition import Change


def conclude(
    job: Job,
    outcome: Outcome,
    now: datetime,
    *,
    turn: Turn | None = None,
    budget: int | None = None,
) -> Change:
    """The step's change: its turn (if the model was called), then what the outcome does to the job."""
    fields: dict[str, Any] = {"step": job.step + 1}
    leading: list[EventDraft] = []
    messages: list[tuple[str, tuple[dict[str, Any], ...]]] = []
    notes: dict[str, str] = {}
    settlement: Settlement | None = None
    if turn is not None:
        budget = turn.budget_pct
        messages, held = turn_messages(turn, outcome)
        settlement = Settlement(
            job.owner_id, turn.reservation.day, turn.reservation.key, turn.reservation.amount, turn.cost
        )
        fields.update(
            model_calls=job.model_calls + 1,
            cost_usd=job.cost_usd + turn.cost,
            recent_calls=() if turn.repeated else tuple(trim_history(job.recent_calls, turn.signatures)),
            held_results=held,
        )
        if turn.plan is not None:
            fields["plan"] = tuple(turn.plan)
        notes = turn.notes
        leading.append(events.step_completed(step_payload(job.step, turn)))
    if budget is not None:
        leading.append(events.budget_updated(budget))

    after: list[EventDraft] = []
    wake_at: datetime | None = None
    escalation: Escalation | None = None
    match outcome:
        case Continue():
            state = AgentState.WORKING
        case Sleep(until=until):
            state, wake_at = AgentState.SLEEPING, until
            fields["wake_at"] = iso_utc(until)
            after.append(events.sleeping(iso_utc(until)))
        case Escalate(escalation=draft):
            state = AgentState.WAITING_FOR_INPUT
            escalation = Escalation(
                escalation_id=new_escalation_id(now),
                job_id=job.job_id,
                problem=draft.problem,
                tried=draft.tried,
                recommended_action=draft.recommended_action,
                created_at=iso_utc(now),
                tool_use_id=draft.tool_use_id,
                kind=draft.kind,
            )
            fields["pending_escalation_id"] = escalation.escalation_id
            after.append(
                events.escalation_raised(
                    escalation.escalation_id, draft.problem, draft.tried, draft.recommended_action
                )
            )
        case Complete(summary=summary):
            state = AgentState.COMPLETED
            fields["summary"] = summary
            after.append(events.completed(summary))
        case Fail(reason=reason):
            state = AgentState.ERROR
            fields["error"] = reason
            after.append(events.error(reason))
    return Change(
        state=state,
        fields=fields,
        leading_events=leading,
        events=after,
        messages=messages,
        notes=notes,
        new_escalation=escalation,
        settlement=settlement,
        journal_step=job.step if turn is not None else None,
        continues=isinstance(outcome, Continue),
        wake_at=wake_at,
        budget_pct=budget,
    )


def new_escalation_id(now: datetime) -> str:
    """Sorts by creation time (escalations are listed, and paged, in id order); unique by its random part."""
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:12]}"


def turn_messages(
    turn: Turn, outcome: Outcome
) -> tuple[list[tuple[str, tuple[dict[str, Any], ...]]], tuple[dict[str, Any], ...]]:
    """The assistant turn and the user turn answering it; results held back while a founder decides."""
    assistant = ("assistant", tuple(clean_block(b) for b in turn.response.content))
    blocks = [result.block(tool_use_id) for tool_use_id, result in turn.results]
    asked = outcome.escalation.tool_use_id if isinstance(outcome, Escalate) else None
    if asked:
        return [assistant], tuple(b for b in blocks if b["tool_use_id"] != asked)
    if not blocks:
        if isinstance(outcome, Complete | Fail):
            return [assistant], ()
        blocks = [{"type": "text", "text": NUDGE}]
    return [assistant, ("user", tuple(blocks))], ()


def step_payload(step: int, turn: Turn) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "step": step,
        "stop_reason": turn.response.stop_reason,
        "input_tokens": turn.usage.input_tokens,
        "output_tokens": turn.usage.output_tokens,
        "cache_creation_input_tokens": turn.usage.cache_write_5m_tokens + turn.usage.cache_write_1h_tokens,
        "cache_read_input_tokens": turn.usage.cache_read_tokens,
        "cost_usd": float(turn.cost),
        "tool_calls": turn.tool_calls,
    }
    if turn.plan is not None:
        payload["plan"] = turn.plan
    return payload
