"""WebSocket / event-log event types: the only place their names are spelled."""

from __future__ import annotations

from typing import Final

STATE_CHANGED: Final = "agent.state_changed"
STEP_COMPLETED: Final = "agent.step_completed"
BUDGET_UPDATED: Final = "agent.budget_updated"
SLEEPING: Final = "agent.sleeping"
WOKE: Final = "agent.woke"
ESCALATION_RAISED: Final = "agent.escalation_raised"
ESCALATION_RESOLVED: Final = "agent.escalation_resolved"
COMPLETED: Final = "agent.completed"
ERROR: Final = "agent.error"

ALL: Final = frozenset(
    {
        STATE_CHANGED,
        STEP_COMPLETED,
        BUDGET_UPDATED,
        SLEEPING,
        WOKE,
        ESCALATION_RAISED,
        ESCALATION_RESOLVED,
        COMPLETED,
        ERROR,
    }
)
