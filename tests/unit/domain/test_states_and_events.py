import pytest

from cofounder.domain import events
from cofounder.domain.states import TERMINAL, AgentState, InvalidTransition, can_transition, transition

W, S, WAIT, C, E = (
    AgentState.WORKING,
    AgentState.SLEEPING,
    AgentState.WAITING_FOR_INPUT,
    AgentState.COMPLETED,
    AgentState.ERROR,
)


def test_state_values_are_the_contract():
    assert [s.value for s in AgentState] == ["working", "sleeping", "waiting_for_input", "completed", "error"]


ALLOWED = [(W, S), (W, WAIT), (W, C), (W, E), (S, W), (S, E), (WAIT, W), (WAIT, E)]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_transitions(current, target):
    assert can_transition(current, target)
    assert transition(current, target) is target


@pytest.mark.parametrize(
    ("current", "target"), [(S, WAIT), (S, C), (WAIT, S), (WAIT, C), (C, W), (C, E), (E, W), (E, S), (W, W)]
)
def test_forbidden_transitions_raise(current, target):
    assert not can_transition(current, target)
    with pytest.raises(InvalidTransition, match=f"from {current} to {target}"):
        transition(current, target)


def test_completed_and_error_are_terminal():
    assert frozenset({C, E}) == TERMINAL


def test_event_type_names_are_the_contract():
    assert {
        "agent.state_changed",
        "agent.step_completed",
        "agent.budget_updated",
        "agent.sleeping",
        "agent.woke",
        "agent.escalation_raised",
        "agent.escalation_resolved",
        "agent.completed",
        "agent.error",
    } == events.ALL
