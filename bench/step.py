"""What a plain step costs: its AWS calls and Redis round trips, and its wall time beyond the model call
against the I/O floor (GetItem and PING p50s measured in the same run, against the same endpoints)."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from typing import Any

from bench.common import IoCounter, TimedModel, bench_runtime, drain_queue, ms, new_job, p50, p99, text_turn


def _plain_scenario(turns: int) -> dict[str, Any]:
    # A text-only turn (no tool use): the step continues, with the nudge as the next user turn.
    return {"turns": [text_turn(f"Still researching the market, part {i}.") for i in range(turns)]}


def _step(rt: Any, job_id: str, step: int) -> None:
    from cofounder.domain.outcomes import Continue
    from cofounder.services.step import run_step

    report = run_step(rt, job_id, step)
    if not isinstance(report.outcome, Continue):
        raise RuntimeError(f"plain step {step} of {job_id} did not continue: {report}")


def count_io(cloud: Any, steps: int = 10) -> tuple[dict[str, float], dict[str, Any]]:
    """AWS calls and Redis round trips of plain steps (after a first, warming step), per step."""
    cloud.emulator.set_scenario(_plain_scenario(steps + 2))
    rt = bench_runtime(cloud)
    counter = IoCounter(rt)
    timed = TimedModel(rt.model)
    rt.model = timed
    job = new_job(rt, "bench-io")
    _step(rt, job.job_id, 0)  # the first step of a container builds clients, and fills the subscriber cache
    drain_queue(rt)
    per_step_aws: list[int] = []
    per_step_redis: list[int] = []
    calls: Counter[str] = Counter()
    walls: list[int] = []
    models: list[int] = []
    for step in range(1, steps + 1):
        with counter.counting():
            began = time.perf_counter_ns()
            _step(rt, job.job_id, step)
            walls.append(time.perf_counter_ns() - began)
        drain_queue(rt)
        models.append(timed.last_ns)
        per_step_aws.append(sum(counter.aws.values()))
        per_step_redis.append(counter.redis)
        calls.update(counter.aws)
    aws_ms = {name: ms(p50(times)) for name, times in sorted(counter.aws_ns.items())}
    redis_ms = ms(p50(counter.redis_ns)) if counter.redis_ns else 0.0
    per_step_io = ms(sum(sum(t) for t in counter.aws_ns.values()) + sum(counter.redis_ns)) / steps
    figures = {
        "aws_calls_per_step": float(statistics.median(per_step_aws)),
        "redis_roundtrips_per_step": float(statistics.median(per_step_redis)),
    }
    overhead_p50 = ms(p50([w - m for w, m in zip(walls, models, strict=True)]))
    detail = {
        "aws_calls": {name: n / steps for name, n in sorted(calls.items())},
        "aws_max": max(per_step_aws),
        "redis_max": max(per_step_redis),
        # where a step's overhead goes (client-side wall time per call, p50 over the counted steps)
        "aws_call_ms_p50": aws_ms,
        "redis_roundtrip_ms_p50": redis_ms,
        "counted_step_overhead_ms_p50": overhead_p50,
        "counted_step_io_ms_mean": per_step_io,
        "counted_step_non_io_ms": overhead_p50 - per_step_io,
    }
    return figures, detail


def overhead(cloud: Any, aws_calls: float, redis_roundtrips: float, *, jobs: int = 10, steps_per_job: int = 20,
             io_samples: int = 300) -> tuple[dict[str, float], dict[str, Any]]:
    """Wall time of a step minus its model call (zero-latency emulator), jobs x steps_per_job measured steps,
    interleaved across jobs; then the I/O floor from GetItem / PING p50s on the same endpoints."""
    from cofounder.adapters import dynamo_items as items

    cloud.emulator.set_scenario(_plain_scenario(steps_per_job + 2))
    rt = bench_runtime(cloud)
    timed = TimedModel(rt.model)
    rt.model = timed
    job_ids = [new_job(rt, f"bench-step-{i}").job_id for i in range(jobs)]
    for job_id in job_ids:
        _step(rt, job_id, 0)  # warm-up step (clients, connection pools, subscriber cache)
    drain_queue(rt)
    overhead_ns: list[int] = []
    model_ns: list[int] = []
    for step in range(1, steps_per_job + 1):
        for job_id in job_ids:
            began = time.perf_counter_ns()
            _step(rt, job_id, step)
            wall = time.perf_counter_ns() - began
            overhead_ns.append(wall - timed.last_ns)
            model_ns.append(timed.last_ns)
            drain_queue(rt)

    # The I/O floor, same endpoints, same clients (warm pools): a plain GetItem and a Redis PING.
    db = rt.store._db
    key = {"pk": {"S": items.job_pk(job_ids[0])}, "sk": {"S": items.JOB_SK}}
    cache = rt.mirror._redis
    get_ns: list[int] = []
    ping_ns: list[int] = []
    for _ in range(io_samples):
        began = time.perf_counter_ns()
        db.get_item(TableName=rt.settings.table_name, Key=key)
        get_ns.append(time.perf_counter_ns() - began)
        began = time.perf_counter_ns()
        cache.ping()
        ping_ns.append(time.perf_counter_ns() - began)
    get_p50, ping_p50 = ms(p50(get_ns)), ms(p50(ping_ns))
    floor = aws_calls * get_p50 + redis_roundtrips * ping_p50
    step_p50 = ms(p50(overhead_ns))
    figures = {
        "step_overhead_ms_p50": step_p50,
        "step_overhead_ms_p99": ms(p99(overhead_ns)),
        "io_floor_ms": floor,
        "step_overhead_ratio": step_p50 / floor,
    }
    detail = {
        "steps": len(overhead_ns),
        "model_call_ms_p50": ms(p50(model_ns)),
        "getitem_ms_p50": get_p50,
        "ping_ms_p50": ping_p50,
    }
    return figures, detail
