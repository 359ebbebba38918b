"""Live events: publish (the production push path) -> received by real WebSocket clients on the local cloud."""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.common import cloud_runtime, ms, new_job, p50, p99, raise_fd_limit, wait_until
from bench.wsproc import ClientProcess


def _event(job_id: str, mark: str, event_id: int) -> dict[str, Any]:
    return {
        "type": "agent.budget_updated",
        "job_id": job_id,
        "event_id": event_id,
        "timestamp": "2026-11-25T12:00:00Z",
        "budget_pct": event_id % 100,
        "bench": mark,
    }


def _subscribed(clients: ClientProcess, rt: Any, owner: str, connections: int, timeout: float) -> str:
    """A quiet job (its first step held back) with `connections` subscribed WebSocket connections."""
    from localcloud.settings import local_token

    job = new_job(rt, owner, enqueue=False)
    clients.open([local_token(owner)] * connections, timeout=timeout)
    clients.subscribe([(i, job.job_id, 0) for i in range(connections)], timeout=timeout)
    # subscribed once each connection has the replayed log (sent after the subscription is stored)
    clients.wait(lambda: all(clients.received(i) for i in range(connections)), timeout, "replay of the job's log")
    return job.job_id


def latency(cloud: Any, events: int = 500, warmup: int = 20) -> tuple[dict[str, float], dict[str, Any]]:
    rt = cloud_runtime()  # WebSocketPusher on the management API, as the handlers build it
    with ClientProcess(cloud.ws.url) as clients:
        job_id = _subscribed(clients, rt, "bench-push", 1, 60)
        samples: list[int] = []
        push_ns: list[int] = []
        for i in range(warmup + events):
            mark = f"lat{i}"
            began = time.monotonic_ns()
            rt.pusher.push(job_id, [_event(job_id, mark, 1000 + i)])
            pushed = time.monotonic_ns()
            clients.wait(lambda m=mark: bool(clients.by_mark.get(m)), 10, f"event {mark}")
            if i >= warmup:
                samples.append(clients.marks(mark)[0][1] - began)
                push_ns.append(pushed - began)
    figures = {"push_latency_ms_p50": ms(p50(samples)), "push_latency_ms_p99": ms(p99(samples))}
    detail = {"events": len(samples), "push_call_ms_p50": ms(p50(push_ns)), "max_ms": ms(max(samples))}
    return figures, detail


def fanout(cloud: Any, connections: int = 1000, repeats: int = 5) -> tuple[dict[str, float], dict[str, Any]]:
    raise_fd_limit(max(4096, 4 * connections + 512))
    rt = cloud_runtime()
    with ClientProcess(cloud.ws.url) as clients:
        began = time.monotonic()
        job_id = _subscribed(clients, rt, "bench-fanout", connections, 600)
        setup_s = time.monotonic() - began
        runs: list[float] = []
        push_ms: list[float] = []
        for r in range(repeats + 1):  # the first push fills the subscriber cache: a warm-up
            mark = f"fan{r}"
            began_ns = time.monotonic_ns()
            rt.pusher.push(job_id, [_event(job_id, mark, 5000 + r)])
            pushed_ns = time.monotonic_ns()
            clients.wait(lambda m=mark: len(clients.by_mark.get(m, ())) >= connections, 120, f"fan-out {mark}")
            received = clients.marks(mark)
            if len({c for c, _ in received}) != connections:
                raise RuntimeError(f"fan-out {mark}: {len(received)} deliveries to {connections} connections")
            if r > 0:
                runs.append(ms(max(t for _, t in received) - began_ns))
                push_ms.append(ms(pushed_ns - began_ns))
    # let the gateway's $disconnect handlers finish before the local cloud stops
    wait_until(lambda: not rt.connections.subscribers(job_id), 300, 0.5)
    figures = {"fanout_1000_ms": statistics.median(runs)}
    detail = {"connections": connections, "runs_ms": [round(x, 1) for x in runs],
              "push_call_ms": [round(x, 1) for x in push_ms], "subscribe_setup_s": round(setup_s, 1)}
    return figures, detail
