"""100 jobs x 10 steps through the real queue and poller of the local cloud, each job followed by a real
WebSocket subscriber: throughput, and every job's replayed log compared with what its subscriber received."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from bench.common import FINISH, cloud_runtime, new_job, note_turn, raise_fd_limit, wait_until
from bench.wsproc import ClientProcess


def run(cloud: Any, jobs: int = 100, steps: int = 10, timeout: float = 600) -> tuple[dict[str, float], dict[str, Any]]:
    from cofounder.domain import events as event_types
    from localcloud.settings import local_token

    raise_fd_limit(max(4096, 4 * jobs + 512))
    cloud.emulator.set_scenario({"turns": [note_turn(i) for i in range(steps - 1)] + [FINISH]})
    rt = cloud_runtime()  # the handlers' runtime: the polled step queue, the WebSocket pusher
    owners = [f"bench-jobs-{i}" for i in range(jobs)]
    created = [new_job(rt, owner, enqueue=False) for owner in owners]
    job_ids = [job.job_id for job in created]
    with ClientProcess(cloud.ws.url) as clients:
        clients.open([local_token(owner) for owner in owners], timeout=timeout)
        clients.subscribe([(i, job_id, 0) for i, job_id in enumerate(job_ids)], timeout=timeout)
        clients.wait(lambda: all(clients.received(i) for i in range(jobs)), timeout, "replays")

        def completed() -> int:
            return sum(
                1 for i in range(jobs) if any(m.get("type") == event_types.COMPLETED for m in clients.received(i))
            )

        began = time.monotonic()
        for job_id in job_ids:  # the first step messages, held back until every subscriber was in place
            rt.queue.enqueue_step(job_id, 0, 1)
        clients.wait(lambda: completed() == jobs, timeout, f"{jobs} completed jobs")
        took = time.monotonic() - began
        time.sleep(0.5)  # anything still in flight after the last completion would be a duplicate
        lost = duplicates = 0
        steps_done = 0
        for i, job_id in enumerate(job_ids):
            log = rt.store.events_after(job_id, 0)
            got = [m["event_id"] for m in clients.received(i) if isinstance(m, dict) and "event_id" in m]
            counts = Counter(got)
            lost += sum(1 for e in log if e["event_id"] not in counts)
            duplicates += sum(n - 1 for n in counts.values())
            job = rt.store.get_job(job_id)
            steps_done += job.step
            if job.state != "completed":
                raise RuntimeError(f"job {job_id} ended {job.state}")
    wait_until(lambda: not any(rt.connections.subscribers(j) for j in job_ids[:5]), 120, 0.5)
    figures = {
        "concurrent_jobs_steps_per_s": steps_done / took,
        "concurrent_jobs_lost_events": float(lost),
        "concurrent_jobs_duplicate_events": float(duplicates),
    }
    detail = {"jobs": jobs, "steps": steps_done, "seconds": round(took, 2),
              "events_in_logs": sum(len(rt.store.events_after(j, 0)) for j in job_ids)}
    return figures, detail
