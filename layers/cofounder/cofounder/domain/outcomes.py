"""The closed set of things a step can decide: continue | sleep | escalate | complete | fail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class EscalationDraft:
    problem: str
    tried: str
    recommended_action: str
    tool_use_id: str | None = None
    """The escalate_to_founder call that raised it: its tool result will carry the founder's decision."""
    kind: str = "founder"
    """'founder' when the model asked; 'runaway' or 'budget' when the runtime stopped the agent."""


@dataclass(frozen=True, slots=True)
class Continue:
    pass


@dataclass(frozen=True, slots=True)
class Sleep:
    until: datetime


@dataclass(frozen=True, slots=True)
class Escalate:
    escalation: EscalationDraft


@dataclass(frozen=True, slots=True)
class Complete:
    summary: str


@dataclass(frozen=True, slots=True)
class Fail:
    reason: str


Outcome = Continue | Sleep | Escalate | Complete | Fail
