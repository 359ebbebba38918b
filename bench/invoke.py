"""`localcloud invoke` of the http_api status event, warm, in-process (no interpreter start)."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from bench.common import ROOT, cloud_runtime, ms, new_job, p50


def status_event(job_id: str) -> dict[str, Any]:
    event = json.loads((ROOT / "events" / "http_job_status.json").read_text())
    old = event["pathParameters"]["job_id"]
    return json.loads(json.dumps(event).replace(old, job_id))


def run(cloud: Any, repeats: int = 200, warmup: int = 10) -> tuple[dict[str, float], dict[str, Any]]:
    from localcloud.invoke import invoke

    template = status_event("x")
    owner = template["requestContext"]["authorizer"]["jwt"]["claims"]["sub"]
    job = new_job(cloud_runtime(), owner, enqueue=False)
    event = status_event(job.job_id)
    samples: list[int] = []
    for i in range(warmup + repeats):
        fresh = copy.deepcopy(event)  # a handler may change its event: each invoke gets its own
        began = time.perf_counter_ns()
        result = invoke("HttpApiFunction", fresh)
        took = time.perf_counter_ns() - began
        if result.get("statusCode") != 200:
            raise RuntimeError(f"status invoke answered {result.get('statusCode')}: {result.get('body')}")
        if i >= warmup:
            samples.append(took)
    # the handler alone, for comparison: what the invoke path adds on top of the function's own work
    from localcloud.handlers import load_handler
    from localcloud.lambda_context import LocalLambdaContext

    handler = load_handler("functions/http_api")
    alone: list[int] = []
    for _ in range(max(1, repeats // 4)):
        fresh = copy.deepcopy(event)
        began = time.perf_counter_ns()
        handler(fresh, LocalLambdaContext("HttpApiFunction"))
        alone.append(time.perf_counter_ns() - began)
    return {"invoke_ms_p50": ms(p50(samples))}, {"invokes": len(samples), "handler_alone_ms_p50": ms(p50(alone))}
