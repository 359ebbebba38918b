"""The step decision after a model call (pure)."""

from __future__ import annotations

from datetime import datetime

from cofounder.domain.outcomes import Complete, Continue, Escalate, EscalationDraft, Fail, Outcome, Sleep


def decide(
    *,
    stop_reason: str | None,
    escalation: EscalationDraft | None,
    summary: str | None,
    stuck: EscalationDraft | None,
    graceful_reached: bool,
    refresh_at: datetime,
) -> Outcome:
    """Founder questions first (a pending question is never dropped), then completion, then runaway,
    then the budget: at the graceful threshold the finished turn is followed by sleep."""
    if escalation is not None:
        return Escalate(escalation)
    if summary is not None:
        return Complete(summary)
    if stuck is not None:
        return Escalate(stuck)
    if stop_reason == "refusal":
        return Fail("the model declined to continue this goal")
    if graceful_reached:
        return Sleep(refresh_at)
    return Continue()
