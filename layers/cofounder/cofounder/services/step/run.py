"""Running one step message: the duplicate checks, then think (reserve, call the model), act, decide, commit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from cofounder import clock
from cofounder.domain.budget import (
    CONTENTION_BACKOFF_S,
    budget_pct,
    day_key,
    next_refresh,
    reached_graceful,
    refused_by_contention,
    reservation_key,
)
from cofounder.domain.conversation import ModelRequest, build_request
from cofounder.domain.decision import decide
from cofounder.domain.job import Job, JobSnapshot
from cofounder.domain.outcomes import Escalate, Fail, Outcome, Sleep
from cofounder.domain.pricing import worst_case_usd
from cofounder.domain.runaway import step_cap_reached, stuck_on_repeat, stuck_on_step_cap
from cofounder.domain.states import AgentState
from cofounder.errors import ModelCallFailed
from cofounder.ports import JournalEntry, Reservation, Settlement
from cofounder.services.runtime import Runtime
from cofounder.services.step.conclusion import conclude
from cofounder.services.step.turn import Turn, act
from cofounder.services.transition import apply
from cofounder.tools import ToolResult
from cofounder.tools import builtin as _builtin  # noqa: F401  (registers the built-in tools)

log = logging.getLogger(__name__)

TimeLeft = Callable[[], float]
"""Seconds left in this invocation."""


@dataclass(frozen=True, slots=True)
class StepReport:
    outcome: Outcome | None
    skipped: str | None = None


def run_step(
    rt: Runtime, job_id: str, step: int, *, redelivered: bool = False, time_left_s: TimeLeft | None = None
) -> StepReport:
    """Run step `step` of a job once, however often its message is delivered: a paid model call and a
    journaled tool's result are read back from the step's journal, never paid or run again.

    `redelivered`: this message may have been processed before (the journal is then always consulted).
    `time_left_s`: the invocation's remaining time, which bounds the model call.
    Raises `ModelCallFailed` when the model could not answer (its reservation released first); whether
    that is retried is the caller's (the queue's) decision.
    """
    snapshot = rt.store.load(job_id)
    if snapshot is None:
        log.warning("step for unknown job %s ignored", job_id)
        return StepReport(None, "unknown job")
    job = snapshot.job
    if step < job.step:
        if job.state is AgentState.WORKING and job.step == step + 1:
            # The commit landed but the next message may not have been sent: sending it again is
            # harmless (FIFO deduplication id = job + step + version: the same as the commit's own send).
            rt.queue.enqueue_step(job_id, job.step, job.version)
        return StepReport(None, "duplicate")
    if step > job.step:
        log.warning("step %s of job %s arrived before step %s; ignored", step, job_id, job.step)
        return StepReport(None, "out of order")
    if job.state is not AgentState.WORKING:
        return StepReport(None, f"job is {job.state}")
    return StepReport(_think_act_decide(rt, snapshot, redelivered, time_left_s))


def _think_act_decide(rt: Runtime, snapshot: JobSnapshot, redelivered: bool, time_left_s: TimeLeft | None) -> Outcome:
    job, settings, now = snapshot.job, rt.settings, clock.now()

    def commit(outcome: Outcome, *, turn: Turn | None = None, budget: int | None = None) -> Outcome:
        apply(rt, job, conclude(job, outcome, now, turn=turn, budget=budget), now)
        return outcome

    since_founder = job.model_calls - job.cap_from
    if step_cap_reached(since_founder, settings.step_cap):
        return commit(Escalate(stuck_on_step_cap(since_founder, settings.step_cap, job.plan)))
    request = build_request(job, snapshot.messages, rt.tools.definitions(), settings.max_tokens)
    worst = worst_case_usd(job.model, request.estimated_tokens(), request.max_tokens)
    if worst > job.daily_budget_usd:
        return commit(Fail(_budget_too_small(worst, job.daily_budget_usd)))
    entry = rt.journal.read(job.job_id, job.step) if redelivered else None
    if entry is None:
        key = reservation_key(job.job_id, job.step)
        reservation = rt.store.reserve(job.owner_id, day_key(now), key, worst, job.daily_budget_usd)
        if not reservation.granted:
            pct = budget_pct(reservation.spent, job.daily_budget_usd)
            if refused_by_contention(reservation.spent, job.daily_budget_usd, worst):
                return commit(Sleep(now + timedelta(seconds=CONTENTION_BACKOFF_S)), budget=pct)
            return commit(Sleep(next_refresh(now)), budget=pct)
        if reservation.existing:  # this step reserved before: it may have paid for its call too
            entry = rt.journal.read(job.job_id, job.step)
        if entry is None:
            entry = rt.journal.record_call(job.job_id, _call_model(rt, job, request, reservation, time_left_s))
    reservation = entry.reservation

    def record(tool_use_id: str, result: ToolResult) -> None:
        rt.journal.record_result(job.job_id, job.step, tool_use_id, result.content, result.is_error)

    done = {tool_use_id: ToolResult(content, is_error) for tool_use_id, (content, is_error) in entry.results.items()}
    turn = act(rt.tools, snapshot, entry.response, reservation, done=done, record=record)
    response = entry.response
    spent_after = reservation.spent + turn.cost
    outcome = decide(
        stop_reason=response.stop_reason,
        escalation=turn.escalation,
        summary=turn.summary,
        stuck=stuck_on_repeat(turn.repeated) if turn.repeated else None,
        graceful_reached=reached_graceful(spent_after, job.daily_budget_usd, settings.graceful_threshold),
        refresh_at=next_refresh(now),
    )
    return commit(outcome, turn=turn)


def _call_model(
    rt: Runtime, job: Job, request: ModelRequest, reservation: Reservation, time_left_s: TimeLeft | None
) -> JournalEntry:
    if rt.model is None:
        raise RuntimeError("this runtime has no model adapter")
    try:
        response = rt.model.complete(request, time_left_s() if time_left_s else None)
    except ModelCallFailed:
        # The call is over and unpaid: give the reservation back before the queue decides what follows.
        rt.store.settle(Settlement(job.owner_id, reservation.day, reservation.key, reservation.amount, None))
        raise
    return JournalEntry(job.step, response, reservation)


def _budget_too_small(worst: Decimal, budget: Decimal) -> str:
    return (
        f"The daily budget (${budget}) cannot cover even one model call of this session "
        f"(worst case ${worst.quantize(Decimal('0.0001'))}): raise the budget or choose a cheaper model."
    )
