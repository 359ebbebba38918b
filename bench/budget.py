"""20 jobs of one founder stepping concurrently against one daily budget: spend beyond the budget."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from bench.common import bench_runtime, new_job, note_turn


def run(cloud: Any, jobs: int = 20, budget: str = "3.00", max_steps: int = 40) -> tuple[dict[str, float], dict]:
    from cofounder.domain.budget import day_key
    from cofounder.services.step import run_step

    # No scripted usage: the emulator bills what each prompt really holds, so no call costs more than its
    # worst case and only the reservations keep the sum under the budget. Opus: a call's worst case is
    # ~$0.35, so only a handful of reservations fit at once.
    cloud.emulator.set_scenario({"turns": [note_turn(i, "r" * 4000) for i in range(max_steps + 5)]})
    rt = bench_runtime(cloud)
    owner = "bench-budget"
    started = [new_job(rt, owner, budget=budget, model="claude-opus-4-1") for _ in range(jobs)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(jobs)

    def work(job_id: str) -> None:
        try:
            barrier.wait()
            for _ in range(max_steps):
                current = rt.store.get_job(job_id)
                if current.state != "working":
                    return
                run_step(rt, job_id, current.step)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(j.job_id,)) for j in started]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    from cofounder import clock

    spent = rt.store.spent(owner, day_key(clock.now()))
    finals = [rt.store.get_job(j.job_id) for j in started]
    overshoot = max(Decimal(0), spent - Decimal(budget))
    figures = {"budget_overshoot_usd": float(overshoot)}
    detail = {
        "budget_usd": float(budget),
        "spent_usd": float(spent),
        "model_calls": sum(j.model_calls for j in finals),
        "jobs_cost_usd": float(sum(j.cost_usd for j in finals)),
        "states": sorted({j.state.value for j in finals}),
    }
    return figures, detail
