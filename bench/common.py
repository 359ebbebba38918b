"""Shared pieces: statistics, the in-process local cloud, a runtime on a private step queue, I/O counting."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import resource
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import localcloud  # noqa: F401  (puts the layer on sys.path)

ROOT = Path(__file__).resolve().parent.parent
PY = os.environ.get("BENCH_PYTHON") or str(ROOT / ".venv" / "bin" / "python")
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
"""The benchmarks' own Redis database: flushed before use, never any other."""


# -- statistics -----------------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): p99 of 200 samples is the 198th smallest."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def p50(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def p99(samples: Sequence[float]) -> float:
    return percentile(samples, 99)


def ms(ns: float) -> float:
    return ns / 1e6


def raise_fd_limit(wanted: int = 8192) -> int:
    """Raise the soft open-files limit (1,000 WebSocket connections need ~2,000 descriptors)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# -- the local cloud in this process ----------------------------------------------------------------


def flush_bench_redis() -> None:
    import redis

    client = redis.Redis.from_url(BENCH_REDIS_URL)
    try:
        client.flushdb()  # only the benchmarks' own database
    finally:
        client.close()


@contextlib.contextmanager
def local_cloud(scenario: dict | None = None) -> Iterator[Any]:
    """`LocalCloud` on free ports (moto server, real Redis db of our own, emulator, gateways, poller, clock)."""
    from localcloud.cloud import LocalCloud, Ports
    from localcloud.redis_choice import free_port

    flush_bench_redis()
    for name in ("AWS_ENDPOINT_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        os.environ.pop(name, None)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    ports = Ports(http=free_port(), ws=free_port(), aws=free_port(), model=free_port())
    cloud = LocalCloud(ports=ports, scenario=scenario or {"turns": []}, redis_url=BENCH_REDIS_URL)
    cloud.start()
    cloud.wait_warm()
    try:
        yield cloud
    finally:
        cloud.stop()
        flush_bench_redis()


def bench_runtime(cloud: Any, *, with_model: bool = True) -> Any:
    """A runtime built from the local cloud's environment exactly as the handlers build theirs, but whose
    step queue is a private FIFO queue nothing polls: a benchmark drives those steps itself."""
    import boto3

    from cofounder.bootstrap import build_runtime
    from cofounder.config import Settings

    sqs = boto3.client("sqs")
    url = sqs.create_queue(
        QueueName=f"bench-steps-{time.monotonic_ns()}.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"},
    )["QueueUrl"]
    settings = dataclasses.replace(Settings.from_env(), step_queue_url=url)
    return build_runtime(settings, with_model=with_model)


_drainers: dict[str, Any] = {}


def drain_queue(rt: Any) -> int:
    """Consume what a benchmark's steps sent to its private queue (as the poller would: receive, delete),
    outside the timed region: a FIFO queue that only grows makes every later SendMessage slower in moto."""
    import boto3

    url = rt.settings.step_queue_url
    sqs = _drainers.setdefault(url, boto3.client("sqs"))
    drained = 0
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return drained
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
        drained += len(messages)


def cloud_runtime(*, with_model: bool = False) -> Any:
    """A runtime built from the local cloud's environment, like a handler's (the polled queue)."""
    from cofounder.bootstrap import build_runtime
    from cofounder.config import Settings

    return build_runtime(Settings.from_env(), with_model=with_model)


def clients_of(rt: Any) -> list[Any]:
    """Every boto3 client a runtime's adapters hold (found by walking them, so renames do not matter)."""
    from botocore.client import BaseClient

    found: dict[int, Any] = {}
    seen: set[int] = set()

    def walk(obj: Any, depth: int) -> None:
        if id(obj) in seen or depth > 3:
            return
        seen.add(id(obj))
        if isinstance(obj, BaseClient):
            found[id(obj)] = obj
            return
        values = []
        if hasattr(obj, "__dict__"):
            values = list(vars(obj).values())
        elif hasattr(obj, "__slots__"):
            values = [getattr(obj, s, None) for s in obj.__slots__]
        for value in values:
            if value is None or isinstance(value, str | int | float | Decimal | bytes):
                continue
            walk(value, depth + 1)

    walk(rt, 0)
    return list(found.values())


class IoCounter:
    """Counts boto3 API calls (botocore `before-call` hooks on the runtime's clients) and Redis round trips
    (`send_packed_command`, a pipeline counts once) made by the counting thread while it is `active`."""

    def __init__(self, rt: Any) -> None:
        import redis

        self.aws: Counter[str] = Counter()
        self.redis = 0
        self.aws_ns: dict[str, list[int]] = {}
        """Client-side wall time of every counted AWS call (before-call to after-call), by operation."""
        self.redis_ns: list[int] = []
        self._began: dict[str, int] = {}
        self.active = False
        self._thread = threading.get_ident()
        self._connection = redis.connection.AbstractConnection
        self._original = self._connection.send_packed_command
        counter = self

        def counting(conn: Any, command: Any, check_health: bool = True) -> Any:
            if not (counter.active and threading.get_ident() == counter._thread):
                return counter._original(conn, command, check_health)
            counter.redis += 1
            began = time.perf_counter_ns()
            try:
                return counter._original(conn, command, check_health)
            finally:
                counter._redis_sent = began

        original_read = self._connection.read_response

        def reading(conn: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return original_read(conn, *args, **kwargs)
            finally:
                sent = getattr(counter, "_redis_sent", None)
                if sent is not None and counter.active and threading.get_ident() == counter._thread:
                    counter.redis_ns.append(time.perf_counter_ns() - sent)
                    counter._redis_sent = None

        self._original_read = original_read
        self._reading = reading

        self._counting = counting
        for client in clients_of(rt):
            client.meta.events.register("before-call.*.*", self._on_call)
            client.meta.events.register("after-call.*.*", self._after_call)

    def _on_call(self, model: Any, **_: Any) -> None:
        if self.active and threading.get_ident() == self._thread:
            self.aws[model.name] += 1
            self._began[model.name] = time.perf_counter_ns()

    def _after_call(self, model: Any, **_: Any) -> None:
        began = self._began.pop(model.name, None)
        if began is not None and self.active and threading.get_ident() == self._thread:
            self.aws_ns.setdefault(model.name, []).append(time.perf_counter_ns() - began)

    @contextlib.contextmanager
    def counting(self) -> Iterator[IoCounter]:
        self.aws.clear()
        self.redis = 0
        self._connection.send_packed_command = self._counting
        self._connection.read_response = self._reading
        self.active = True
        try:
            yield self
        finally:
            self.active = False
            self._connection.send_packed_command = self._original
            self._connection.read_response = self._original_read


class TimedModel:
    """Wraps the runtime's model adapter: the time spent in `complete` (the model call) per step."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.last_ns = 0

    def complete(self, request: Any, time_left_s: float | None = None) -> Any:
        began = time.perf_counter_ns()
        try:
            return self._model.complete(request, time_left_s)
        finally:
            self.last_ns = time.perf_counter_ns() - began


def new_job(rt: Any, owner: str, *, budget: str = "100", model: str | None = None, goal: str | None = None,
            enqueue: bool = True) -> Any:
    """`create_job` (the product path); with enqueue=False its first step message is held back and
    returned for later, so a subscriber can be in place before the job starts."""
    from cofounder.services.jobs import create_job

    if enqueue:
        return create_job(rt, owner, goal or "Find product-market fit", Decimal(budget), model)
    held = _HeldQueue()
    job = create_job(dataclasses.replace(rt, queue=held), owner, goal or "Find product-market fit",
                     Decimal(budget), model)
    return job


class _HeldQueue:
    def __init__(self) -> None:
        self.held: list[tuple[str, int, int]] = []

    def enqueue_step(self, job_id: str, step: int, version: int) -> None:
        self.held.append((job_id, step, version))


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def text_turn(text: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}]}


def tool_turn(name: str, tool_input: dict[str, Any], text: str = "Working on it.") -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}, {"type": "tool_use", "name": name, "input": tool_input}]}


def note_turn(i: int, text: str | None = None) -> dict[str, Any]:
    return tool_turn("save_note", {"key": f"k{i}", "text": text or f"finding {i}"})


FINISH = tool_turn("finish", {"summary": "All done."})
