"""One TAOR step: think (one model call), act (tools), observe (results), decide what comes next."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from cofounder import clock
from cofounder.domain import events
from cofounder.domain.budget import budget_pct, day_key, iso_utc, next_refresh, reached_graceful
from cofounder.domain.conversation import NUDGE, build_request, clean_block
from cofounder.domain.decision import decide
from cofounder.domain.job import Escalation, Job, JobSnapshot, Message
from cofounder.domain.outcomes import (
    Complete,
    Continue,
    Escalate,
    EscalationDraft,
    Fail,
    Outcome,
    Sleep,
)
from cofounder.domain.pricing import Usage, cost_usd, worst_case_usd
from cofounder.domain.runaway import (
    call_signature,
    repeated_call,
    step_cap_reached,
    stuck_on_repeat,
    stuck_on_step_cap,
    trim_history,
)
from cofounder.domain.states import AgentState
from cofounder.errors import ModelCallFailed
from cofounder.ports import Commit, Model, ModelResponse, Reservation, Settlement
from cofounder.services.runtime import EventBatch, Runtime
from cofounder.tools import ToolContext, ToolResult
from cofounder.tools import builtin as _builtin  # noqa: F401  (registers the built-in tools)

log = logging.getLogger(__name__)

PREVIEW = 500


@dataclass(frozen=True, slots=True)
class StepReport:
    outcome: Outcome | None
    skipped: str | None = None


def run_step(rt: Runtime, job_id: str, step: int, receive_count: int = 1) -> StepReport:
    """Run step `step` of a job once, however often its message is delivered."""
    snapshot = rt.store.load(job_id)
    if snapshot is None:
        log.warning("step for unknown job %s ignored", job_id)
        return StepReport(None, "unknown job")
    job = snapshot.job
    if step < job.step:
        if job.state is AgentState.WORKING and job.step == step + 1:
            # The commit landed but the next message may not have been sent: sending it again is
            # harmless (FIFO deduplication id = job + step; a later duplicate is skipped here).
            rt.queue.enqueue_step(job_id, job.step)
        return StepReport(None, "duplicate")
    if step > job.step:
        log.warning("step %s of job %s arrived before step %s; ignored", step, job_id, job.step)
        return StepReport(None, "out of order")
    if job.state is not AgentState.WORKING:
        return StepReport(None, f"job is {job.state}")
    return StepReport(_Step(rt, snapshot, receive_count).run())


def fail_job(rt: Runtime, job_id: str, reason: str) -> None:
    """Last resort when a step cannot run at all: mark the job `error` and tell the founder."""
    job = rt.store.get_job(job_id)
    if job is None or job.state in (AgentState.COMPLETED, AgentState.ERROR):
        return
    now = clock.now()
    batch = EventBatch(job, now)
    batch.add(events.STATE_CHANGED, state=AgentState.ERROR.value)
    batch.add(events.ERROR, message=reason)
    failed = job.moved_to(AgentState.ERROR).evolve(
        version=job.version + 1, last_event_id=batch.last_event_id, error=reason
    )
    rt.store.commit(Commit(job=failed, expected_version=job.version, events=batch.items))
    rt.mirror.write(job.session_id, state=failed.state.value)
    rt.pusher.push(job.job_id, batch.items)


@dataclass(slots=True)
class _Call:
    response: ModelResponse
    usage: Usage
    cost: Decimal
    reservation: Reservation
    budget_pct: int
    tool_calls: list[dict[str, Any]]
    results: list[tuple[str, ToolResult]]
    signatures: list[str]
    plan: list[str] | None
    notes: dict[str, str]


class _Step:
    def __init__(self, rt: Runtime, snapshot: JobSnapshot, receive_count: int) -> None:
        self.rt = rt
        self.snapshot = snapshot
        self.job: Job = snapshot.job
        self.receive_count = receive_count
        self.now: datetime = clock.now()
        # What the model's turn asked for (filled in by act()).
        self.escalation: EscalationDraft | None = None
        self.summary: str | None = None
        self.repeated: str | None = None

    @property
    def key(self) -> str:
        return f"{self.job.job_id}#{self.job.step}"

    def run(self) -> Outcome:
        job, settings = self.job, self.rt.settings
        since_founder = job.model_calls - job.cap_from
        if step_cap_reached(since_founder, settings.step_cap):
            return self.conclude(Escalate(stuck_on_step_cap(since_founder, settings.step_cap, job.plan)))
        request = build_request(job, self.snapshot.messages, self.rt.tools.definitions(), settings.max_tokens)
        worst = worst_case_usd(job.model, request.estimated_tokens(), request.max_tokens)
        if worst > job.daily_budget_usd:
            return self.conclude(Fail(_budget_too_small(worst, job.daily_budget_usd)))
        reservation = self.rt.store.reserve(
            job.owner_id, day_key(self.now), self.key, worst, job.daily_budget_usd
        )
        if not reservation.granted:
            pct = budget_pct(reservation.spent, job.daily_budget_usd)
            return self.conclude(Sleep(next_refresh(self.now)), budget=pct)
        try:
            response = self.model().complete(request)
        except ModelCallFailed as exc:
            if exc.retryable and self.receive_count < settings.max_receive_count:
                raise
            release = Settlement(job.owner_id, reservation.day, reservation.key, reservation.amount, None)
            return self.conclude(Fail(f"The model call failed: {exc}"), settlement=release)
        call = self.act(response, reservation)
        outcome = decide(
            stop_reason=response.stop_reason,
            escalation=self.escalation,
            summary=self.summary,
            stuck=stuck_on_repeat(self.repeated) if self.repeated else None,
            graceful_reached=reached_graceful(
                reservation.spent + call.cost, job.daily_budget_usd, settings.graceful_threshold
            ),
            refresh_at=next_refresh(self.now),
        )
        return self.conclude(outcome, call=call)

    def model(self) -> Model:
        if self.rt.model is None:
            raise RuntimeError("this runtime has no model adapter")
        return self.rt.model

    def act(self, response: ModelResponse, reservation: Reservation) -> _Call:
        job = self.job
        usage = Usage.from_api(response.usage)
        cost = cost_usd(job.model, usage)
        tool_uses = [b for b in response.content if b.get("type") == "tool_use"]
        signatures = [call_signature(b["name"], b.get("input")) for b in tool_uses]
        self.repeated = repeated_call(job.recent_calls, signatures)
        ctx = ToolContext(job.job_id, job.session_id, job.step, dict(self.snapshot.notes), list(job.plan))
        results: list[tuple[str, ToolResult]] = []
        for block in tool_uses:
            if self.repeated:
                result = ToolResult("Not run: this exact call was repeated; asking the founder.", is_error=True)
            else:
                ctx.tool_use_id = block["id"]
                result = self.rt.tools.run(block["name"], block.get("input"), ctx)
            results.append((block["id"], result))
        self.escalation = ctx.effects.escalation
        self.summary = ctx.effects.summary
        tool_calls = [
            {
                "name": b["name"],
                "input": b.get("input"),
                "is_error": r.is_error,
                "result": r.content[:PREVIEW],
            }
            for b, (_, r) in zip(tool_uses, results, strict=True)
        ]
        return _Call(
            response=response,
            usage=usage,
            cost=cost,
            reservation=reservation,
            budget_pct=budget_pct(reservation.spent + cost, job.daily_budget_usd),
            tool_calls=tool_calls,
            results=results,
            signatures=signatures,
            plan=ctx.effects.plan,
            notes=ctx.effects.notes,
        )

    def conclude(
        self,
        outcome: Outcome,
        *,
        call: _Call | None = None,
        budget: int | None = None,
        settlement: Settlement | None = None,
    ) -> Outcome:
        job, now, rt = self.job, self.now, self.rt
        batch = EventBatch(job, now)
        messages: list[Message] = []
        changes: dict[str, Any] = {"step": job.step + 1}
        escalation: Escalation | None = None
        if call is not None:
            budget = call.budget_pct
            messages, held = self.turn_messages(call, outcome)
            settlement = Settlement(job.owner_id, call.reservation.day, self.key, call.reservation.amount, call.cost)
            changes.update(
                model_calls=job.model_calls + 1,
                cost_usd=job.cost_usd + call.cost,
                recent_calls=() if self.repeated else tuple(trim_history(job.recent_calls, call.signatures)),
                held_results=held,
            )
            if call.plan is not None:
                changes["plan"] = tuple(call.plan)
            batch.add(events.STEP_COMPLETED, **self.step_payload(call))
        if budget is not None:
            batch.add(events.BUDGET_UPDATED, budget_pct=budget)

        wake_at: datetime | None = None
        match outcome:
            case Continue():
                state = AgentState.WORKING
            case Sleep(until=until):
                state, wake_at = AgentState.SLEEPING, until
                changes["wake_at"] = iso_utc(until)
                batch.add(events.STATE_CHANGED, state=state.value)
                batch.add(events.SLEEPING, wake_at=iso_utc(until))
            case Escalate(escalation=draft):
                state = AgentState.WAITING_FOR_INPUT
                escalation = Escalation(
                    escalation_id=str(uuid.uuid4()),
                    job_id=job.job_id,
                    problem=draft.problem,
                    tried=draft.tried,
                    recommended_action=draft.recommended_action,
                    created_at=iso_utc(now),
                    tool_use_id=draft.tool_use_id,
                    kind=draft.kind,
                )
                changes["pending_escalation_id"] = escalation.escalation_id
                batch.add(events.STATE_CHANGED, state=state.value)
                batch.add(
                    events.ESCALATION_RAISED,
                    escalation_id=escalation.escalation_id,
                    problem=draft.problem,
                    tried=draft.tried,
                    recommended_action=draft.recommended_action,
                )
            case Complete(summary=summary):
                state = AgentState.COMPLETED
                changes["summary"] = summary
                batch.add(events.STATE_CHANGED, state=state.value)
                batch.add(events.COMPLETED, summary=summary)
            case Fail(reason=reason):
                state = AgentState.ERROR
                changes["error"] = reason
                batch.add(events.STATE_CHANGED, state=state.value)
                batch.add(events.ERROR, message=reason)

        updated = job.moved_to(state).evolve(
            version=job.version + 1,
            last_event_id=batch.last_event_id,
            message_count=job.message_count + len(messages),
            **changes,
        )
        if wake_at is not None:
            # Before the commit: if the commit then fails, a stray wake finds the job not sleeping: a no-op.
            rt.scheduler.schedule_wake(job.job_id, job.session_id, wake_at)
        rt.store.commit(
            Commit(
                job=updated,
                expected_version=job.version,
                messages=messages,
                events=batch.items,
                notes=call.notes if call else {},
                new_escalation=escalation,
                settlement=settlement,
            )
        )
        if isinstance(outcome, Continue):
            rt.queue.enqueue_step(job.job_id, updated.step)
        rt.mirror.write(job.session_id, state=state.value, budget_pct=budget, wake_at=wake_at)
        rt.pusher.push(job.job_id, batch.items)
        return outcome

    def turn_messages(self, call: _Call, outcome: Outcome) -> tuple[list[Message], tuple[dict[str, Any], ...]]:
        """The assistant turn and the user turn answering it; results held back while a founder decides."""
        seq = self.job.message_count
        assistant = Message(seq, "assistant", tuple(clean_block(b) for b in call.response.content))
        blocks = [result.block(tool_use_id) for tool_use_id, result in call.results]
        asked = outcome.escalation.tool_use_id if isinstance(outcome, Escalate) else None
        if asked:
            held = tuple(b for b in blocks if b["tool_use_id"] != asked)
            return [assistant], held
        if not blocks:
            if isinstance(outcome, Complete | Fail):
                return [assistant], ()
            blocks = [{"type": "text", "text": NUDGE}]
        return [assistant, Message(seq + 1, "user", tuple(blocks))], ()

    def step_payload(self, call: _Call) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "step": self.job.step,
            "stop_reason": call.response.stop_reason,
            "input_tokens": call.usage.input_tokens,
            "output_tokens": call.usage.output_tokens,
            "cache_creation_input_tokens": call.usage.cache_write_5m_tokens + call.usage.cache_write_1h_tokens,
            "cache_read_input_tokens": call.usage.cache_read_tokens,
            "cost_usd": float(call.cost),
            "tool_calls": call.tool_calls,
        }
        if call.plan is not None:
            payload["plan"] = call.plan
        return payload


def _budget_too_small(worst: Decimal, budget: Decimal) -> str:
    return (
        f"The daily budget (${budget}) cannot cover even one model call of this session "
        f"(worst case ${worst.quantize(Decimal('0.0001'))}): raise the budget or choose a cheaper model."
    )
