"""Agent states and the transitions allowed between them."""

from __future__ import annotations

from enum import StrEnum


class AgentState(StrEnum):
    WORKING = "working"
    SLEEPING = "sleeping"
    WAITING_FOR_INPUT = "waiting_for_input"
    COMPLETED = "completed"
    ERROR = "error"


_ALLOWED: dict[AgentState, frozenset[AgentState]] = {
    AgentState.WORKING: frozenset(
        {AgentState.SLEEPING, AgentState.WAITING_FOR_INPUT, AgentState.COMPLETED, AgentState.ERROR}
    ),
    AgentState.SLEEPING: frozenset({AgentState.WORKING, AgentState.ERROR}),
    AgentState.WAITING_FOR_INPUT: frozenset({AgentState.WORKING, AgentState.ERROR}),
    AgentState.COMPLETED: frozenset(),
    AgentState.ERROR: frozenset(),
}

TERMINAL = frozenset(s for s, targets in _ALLOWED.items() if not targets)


class InvalidTransition(ValueError):
    def __init__(self, current: AgentState, target: AgentState) -> None:
        super().__init__(f"an agent cannot go from {current} to {target}")
        self.current = current
        self.target = target


def can_transition(current: AgentState, target: AgentState) -> bool:
    return target in _ALLOWED[current]


def transition(current: AgentState, target: AgentState) -> AgentState:
    if not can_transition(current, target):
        raise InvalidTransition(current, target)
    return target
