"""The one write path: every state change of a job (create, step, fail, wake, resolve) goes through `apply`.

A service only says *what* changes (a `Change`); `apply` writes it, always in this order:

1. the wake schedule, when the change puts the job to sleep (fired a spread per job after `wake_at`, at
   least a minute ahead) — before the commit, so that a commit that then fails leaves at most a stray wake,
   which finds the job not sleeping and does nothing (a schedule that cannot be made is logged: the
   sweeper wakes a job whose wake is overdue);
2. the commit: the job with its version bumped and its events numbered, the messages, events, notes,
   escalations and the ledger settlement, in one transaction (`ConcurrentUpdate` if the job moved on);
3. the next step's message, when the change keeps the agent working;
4. the Redis mirrors (`state`, `budget_pct`, `wake_at`; best effort);
5. the push of the new events to live subscribers (best effort: the event log is the truth).

Nothing after the commit runs if the commit fails, so no founder ever sees a change that was not made; and
nothing after the commit can undo it: a failed send is logged and repaired by the sweeper (which re-sends the
step of a working job left idle), a failed mirror or push is caught up by the next one or the event log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cofounder.domain import events
from cofounder.domain.budget import iso_utc, wake_fire_at
from cofounder.domain.events import Event, EventDraft
from cofounder.domain.job import Escalation, Job, Message
from cofounder.domain.states import AgentState
from cofounder.ports import Commit, Settlement
from cofounder.services.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Change:
    """What one state change of a job writes; everything else (version, numbering, order) is `apply`'s."""

    state: AgentState | None = None
    """The state the job moves to (None: it stays where it is). Publishes `agent.state_changed` when it moves."""
    fields: Mapping[str, Any] = field(default_factory=dict)
    """Other job fields that change (`Job.evolve` names)."""
    leading_events: Sequence[EventDraft] = ()
    """What happened before the state changed (the step's report, the founder's answer): published first."""
    events: Sequence[EventDraft] = ()
    """What follows from the state change (`agent.sleeping`, `agent.completed`...): published after its event."""
    messages: Sequence[tuple[str, tuple[dict[str, Any], ...]]] = ()
    """(role, content blocks) appended to the conversation."""
    notes: Mapping[str, str] = field(default_factory=dict)
    new_escalation: Escalation | None = None
    resolved_escalation: Escalation | None = None
    settlement: Settlement | None = None
    journal_step: int | None = None
    """The step whose journal the commit closes."""
    idempotency: tuple[str, str] | None = None
    """(owner_id, Idempotency-Key) recorded with a created job, once per key."""
    continues: bool = False
    """Enqueue the job's next step message after the commit."""
    wake_at: datetime | None = None
    """Schedule the wake (the job goes to sleep until then)."""
    budget_pct: int | None = None
    """Mirror this budget percentage."""


def apply(rt: Runtime, job: Job, change: Change, at: datetime, *, creating: bool = False) -> Job:
    """Write `change` to `job` (as read at version `job.version`) and tell the world; returns the new job."""
    moved = job.moved_to(change.state) if change.state is not None else job
    state_event = [events.state_changed(moved.state.value)] if creating or moved.state is not job.state else []
    drafts = [*change.leading_events, *state_event, *change.events]
    numbered = [Event.numbered(d, job.job_id, job.last_event_id + i, at) for i, d in enumerate(drafts, 1)]
    messages = [Message(job.message_count + i, role, content) for i, (role, content) in enumerate(change.messages)]
    updated = moved.evolve(
        **change.fields,
        updated_at=iso_utc(at),
        version=job.version + 1,
        last_event_id=job.last_event_id + len(numbered),
        message_count=job.message_count + len(messages),
    )
    serialized = [e.as_dict() for e in numbered]

    if change.wake_at is not None:
        try:
            rt.scheduler.schedule_wake(job.job_id, job.session_id, wake_fire_at(job.job_id, change.wake_at, at))
        except Exception:  # the sleep still happens: the sweeper wakes a job whose wake is overdue
            log.exception("job %s: no wake schedule; the sweeper will wake it", job.job_id)
    rt.store.commit(
        Commit(
            job=updated,
            expected_version=None if creating else job.version,
            messages=messages,
            events=serialized,
            notes=dict(change.notes),
            new_escalation=change.new_escalation,
            resolved_escalation=change.resolved_escalation,
            settlement=change.settlement,
            journal_step=change.journal_step,
            idempotency=change.idempotency,
        )
    )
    if change.continues:
        try:
            rt.queue.enqueue_step(job.job_id, updated.step, updated.version)
        except Exception:  # committed already: the sweeper re-sends the step of a job left idle
            log.exception("job %s: step %s committed, not enqueued (the sweeper sends it)", job.job_id, updated.step)
    rt.mirror.write(job.session_id, state=updated.state.value, budget_pct=change.budget_pct, wake_at=change.wake_at)
    try:
        rt.pusher.push(job.job_id, serialized)
    except Exception:  # subscribers replay from the event log
        log.exception("job %s: events %s.. not pushed", job.job_id, job.last_event_id + 1)
    return updated
