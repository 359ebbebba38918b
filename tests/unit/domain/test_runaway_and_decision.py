from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from cofounder.domain.decision import decide
from cofounder.domain.outcomes import Complete, Continue, Escalate, EscalationDraft, Fail, Sleep
from cofounder.domain.runaway import (
    call_signature,
    repeated_call,
    step_cap_reached,
    stuck_on_repeat,
    stuck_on_step_cap,
    trim_history,
)

A = call_signature("save_note", {"key": "k", "text": "t"})
B = call_signature("read_notes", {})


def test_signature_ignores_key_order():
    assert call_signature("t", {"a": 1, "b": [1, 2]}) == call_signature("t", {"b": [1, 2], "a": 1})
    assert call_signature("t", {"a": 1}) != call_signature("t", {"a": 2})
    assert call_signature("t", {"a": 1}) != call_signature("u", {"a": 1})


def test_three_identical_calls_in_a_row_is_runaway():
    assert repeated_call([], [A]) is None
    assert repeated_call([A], [A]) is None
    assert repeated_call([A, A], [A]) == A
    assert repeated_call([], [A, A, A]) == A
    assert repeated_call([A, B], [A]) is None
    assert repeated_call([A, A], [B]) is None


def test_history_keeps_only_what_can_still_form_a_run():
    assert trim_history([], [A]) == [A]
    assert trim_history([A, B], [A, B, B]) == [B, B]


@given(st.lists(st.sampled_from([A, B]), max_size=12))
def test_runaway_matches_a_naive_scan(calls):
    naive = None
    for i in range(2, len(calls)):
        if calls[i] == calls[i - 1] == calls[i - 2]:
            naive = calls[i]
            break
    assert repeated_call([], calls) == naive


def test_step_cap():
    assert not step_cap_reached(49, 50)
    assert step_cap_reached(50, 50)
    assert not step_cap_reached(1000, 0)  # 0 disables the cap


def test_stuck_escalations_say_so_and_say_what_was_tried():
    repeat = stuck_on_repeat(A)
    assert repeat.problem.startswith("I seem stuck")
    assert "save_note" in repeat.problem and "save_note" in repeat.tried
    assert repeat.kind == "runaway"
    cap = stuck_on_step_cap(50, 50, ["research", "interview"])
    assert cap.problem.startswith("I seem stuck") and "50" in cap.problem
    assert cap.tried == "research; interview"


NOW = datetime(2026, 11, 26, tzinfo=UTC)
ASK = EscalationDraft("p", "t", "r", "toolu_1")


def _decide(**kw):
    base = dict(stop_reason="tool_use", escalation=None, summary=None, stuck=None, graceful_reached=False)
    return decide(**{**base, **kw}, refresh_at=NOW)


def test_decision_priorities():
    assert _decide() == Continue()
    assert _decide(graceful_reached=True) == Sleep(NOW)
    assert _decide(summary="done", graceful_reached=True) == Complete("done")
    assert _decide(escalation=ASK, summary="done", graceful_reached=True) == Escalate(ASK)
    stuck = stuck_on_repeat(A)
    assert _decide(stuck=stuck, graceful_reached=True) == Escalate(stuck)
    assert isinstance(_decide(stop_reason="refusal"), Fail)
