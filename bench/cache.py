"""Prompt caching over a 20-step session with a ~3K-token system prompt + the tools: usage computed by the
model emulator from the real requests the agent step sends, priced with the product's pricing table."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from bench.common import FINISH, bench_runtime, new_job, note_turn

SYSTEM_TOKENS = 3000
CHARS_PER_TOKEN = 4  # the emulator's estimate (ceil(len / 4)); the real tokenizer is close on English


def big_system_prompt(tokens: int = SYSTEM_TOKENS) -> str:
    """The product's system prompt extended with a playbook to ~`tokens` tokens (a realistic long prompt)."""
    from cofounder.domain import conversation

    parts = [conversation.SYSTEM_PROMPT, "", "Operating playbook:"]
    i = 0
    while sum(len(p) + 1 for p in parts) < tokens * CHARS_PER_TOKEN:
        i += 1
        parts.append(
            f"{i}. When you work on area {i} of the goal, state the assumption you are testing, the cheapest "
            f"evidence that would refute it, and what you will do next if it holds; record the outcome with "
            f"save_note under key 'area-{i}' and keep the plan current with update_plan."
        )
    return "\n".join(parts)[: tokens * CHARS_PER_TOKEN]


@contextlib.contextmanager
def system_prompt(text: str) -> Iterator[None]:
    from cofounder.domain import conversation

    original = conversation.SYSTEM_PROMPT
    conversation.SYSTEM_PROMPT = text  # build_request reads it on every call
    try:
        yield
    finally:
        conversation.SYSTEM_PROMPT = original


class UsageTap:
    """Wraps the model adapter and keeps every response's usage (what the step itself prices)."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.usages: list[dict[str, Any]] = []

    def complete(self, request: Any, time_left_s: float | None = None) -> Any:
        response = self._model.complete(request, time_left_s)
        self.usages.append(dict(response.usage))
        return response


def run(cloud: Any, steps: int = 20) -> tuple[dict[str, float], dict[str, Any]]:
    from cofounder.domain.pricing import Usage, cost_usd
    from cofounder.services.step import run_step

    finding = "Interviewed a prospect: invoicing takes them two days a month; they would pay to automate it."
    cloud.emulator.set_scenario({"turns": [note_turn(i, f"{finding} ({i})") for i in range(steps - 1)] + [FINISH]})
    rt = bench_runtime(cloud)
    tap = UsageTap(rt.model)
    rt.model = tap
    with system_prompt(big_system_prompt()):
        job = new_job(rt, "bench-cache")
        for step in range(steps):
            run_step(rt, job.job_id, step)
    final = rt.store.get_job(job.job_id)
    if len(tap.usages) != steps or final.state != "completed":
        raise RuntimeError(f"cache session: {len(tap.usages)} calls, job {final.state}")
    usages = [Usage.from_api(u) for u in tap.usages]
    prompt = sum(u.prompt_tokens for u in usages)
    read = sum(u.cache_read_tokens for u in usages)
    cached = sum((cost_usd(job.model, u) for u in usages), Decimal(0))
    uncached = sum(
        (cost_usd(job.model, Usage(input_tokens=u.prompt_tokens, output_tokens=u.output_tokens)) for u in usages),
        Decimal(0),
    )
    figures = {
        "cache_read_share_20_steps": read / prompt,
        "cost_ratio_cached_vs_uncached": float(cached / uncached),
    }
    detail = {
        "model": job.model,
        "steps": steps,
        "prompt_tokens": prompt,
        "cache_read_tokens": read,
        "cache_write_tokens": sum(u.cache_write_5m_tokens + u.cache_write_1h_tokens for u in usages),
        "uncached_input_tokens": sum(u.input_tokens for u in usages),
        "output_tokens": sum(u.output_tokens for u in usages),
        "first_call_prompt_tokens": usages[0].prompt_tokens,
        "cost_usd": float(cached),
        "uncached_cost_usd": float(uncached),
        "recorded_cost_usd": float(final.cost_usd),
    }
    return figures, detail
