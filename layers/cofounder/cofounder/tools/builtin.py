"""The built-in tools. Each is one decorated function; effects are persisted by the step's commit."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from cofounder.domain.outcomes import EscalationDraft
from cofounder.tools.registry import ToolContext, ToolError, tool

MAX_NOTE_KEY = 200
MAX_NOTE_TEXT = 20_000
MAX_PLAN_ITEMS = 50
MAX_PLAN_ITEM = 500
MAX_FIELD = 4000

ESCALATE = "escalate_to_founder"
FINISH = "finish"


@tool(name=ESCALATE)
def escalate_to_founder(
    ctx: ToolContext,
    problem: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=MAX_FIELD,
            description="The decision or blocker the founder must resolve, stated plainly.",
        ),
    ],
    tried: Annotated[str, Meta(max_length=MAX_FIELD, description="What you already tried or considered.")],
    recommended_action: Annotated[
        str, Meta(max_length=MAX_FIELD, description="What you recommend the founder decides, and why.")
    ],
) -> str:
    """Ask the founder for a decision you cannot or should not make alone. You stop until they answer;
    their decision comes back as this tool's result."""
    if not problem.strip():
        raise ToolError("problem must not be empty")
    ctx.effects.escalation = EscalationDraft(
        problem=problem, tried=tried, recommended_action=recommended_action, tool_use_id=ctx.tool_use_id
    )
    return "Escalated to the founder; waiting for their decision."


@tool
def update_plan(
    ctx: ToolContext,
    items: Annotated[
        list[Annotated[str, Meta(max_length=MAX_PLAN_ITEM)]],
        Meta(max_length=MAX_PLAN_ITEMS, description="The plan's steps, in order."),
    ],
) -> str:
    """Replace your working plan with these items (the founder sees it live)."""
    ctx.effects.plan = [item.strip() for item in items if item.strip()]
    ctx.plan = ctx.effects.plan
    return f"Plan updated ({len(ctx.plan)} items)."


@tool
def save_note(
    ctx: ToolContext,
    key: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=MAX_NOTE_KEY,
            description="A short name for the note; saving the same key again replaces it.",
        ),
    ],
    text: Annotated[str, Meta(max_length=MAX_NOTE_TEXT, description="The note's text.")],
) -> str:
    """Save a note to your durable notebook, to read back later with read_notes."""
    key = key.strip()
    if not key or len(key) > MAX_NOTE_KEY:
        raise ToolError(f"key must be 1..{MAX_NOTE_KEY} characters")
    ctx.effects.notes[key] = text
    ctx.notes = {**ctx.notes, key: text}
    return f"Saved note {key!r}."


@tool
def read_notes(ctx: ToolContext) -> dict[str, str]:
    """Read every note in your notebook (key → text)."""
    return dict(ctx.notes)


@tool(name=FINISH)
def finish(
    ctx: ToolContext,
    summary: Annotated[
        str, Meta(min_length=1, max_length=MAX_FIELD, description="What was achieved, for the founder.")
    ],
) -> str:
    """Declare the goal done, with a summary for the founder. This ends the session."""
    if not summary.strip():
        raise ToolError("summary must not be empty")
    ctx.effects.summary = summary
    return "Finished."
