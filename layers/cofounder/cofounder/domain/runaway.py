"""Runaway detection: stop and ask the founder instead of burning money."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Sequence
from typing import Any

from cofounder.domain.outcomes import EscalationDraft

REPEAT_LIMIT = 3
HISTORY_KEPT = REPEAT_LIMIT - 1


SIGNATURE_PREVIEW = 200


def call_signature(name: str, tool_input: Any) -> str:
    """A short canonical text for a tool call: same name and same input give the same signature. Bounded (a
    preview of the input and a digest of all of it): the job item keeps the last few."""
    canonical = json.dumps(tool_input, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return f"{name}:{canonical[:SIGNATURE_PREVIEW]}#{digest}"


def repeated_call(history: Sequence[str], calls: Sequence[str], limit: int = REPEAT_LIMIT) -> str | None:
    """The signature that, with `calls`, has now been made `limit` times in a row (None if none)."""
    sequence = [*history, *calls]
    run = 1
    for previous, current in itertools.pairwise(sequence):
        run = run + 1 if current == previous else 1
        if run >= limit:
            return current
    return None


def trim_history(history: Sequence[str], calls: Sequence[str]) -> list[str]:
    """What to remember for the next step: only the tail that could still form a run."""
    return [*history, *calls][-HISTORY_KEPT:] if HISTORY_KEPT else []


def step_cap_reached(steps_since_founder: int, step_cap: int) -> bool:
    return step_cap > 0 and steps_since_founder >= step_cap


def stuck_on_repeat(signature: str, limit: int = REPEAT_LIMIT) -> EscalationDraft:
    name = signature.split(":", 1)[0]
    return EscalationDraft(
        problem=f"I seem stuck: I called {name} with the same input {limit} times in a row.",
        tried=f"Repeating the call {signature[:500]}",
        recommended_action="Tell me what to do differently, or confirm I should stop this line of work.",
        kind="runaway",
    )


def stuck_on_step_cap(steps: int, step_cap: int, plan: Sequence[str]) -> EscalationDraft:
    tried = "; ".join(plan) if plan else f"{steps} steps without your input"
    return EscalationDraft(
        problem=f"I seem stuck: I have taken {steps} steps since your last input (the cap is {step_cap}).",
        tried=tried[:2000],
        recommended_action="Review my progress and tell me whether to continue, change course, or stop.",
        kind="runaway",
    )
