"""`python -m bench [--smoke] [--only GROUP ...] [--out DIR]`: run the benchmarks, print and record the figures.

Each group runs in its own interpreter (a fresh local cloud, no state left over from another group), watched
for time and memory: a group that crashes, hangs or runs away is reported and the others still run. The exit
status is 0 unless a group crashed; a missed target is a measurement, never a failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.common import ROOT

MAX_RSS_GB = float(os.environ.get("BENCH_MAX_RSS_GB", "6"))
"""A group whose process grows beyond this is stopped (the machine is shared)."""
GROUP_TIMEOUT_S = float(os.environ.get("BENCH_GROUP_TIMEOUT_S", "900"))


@dataclass(frozen=True)
class Sizes:
    """Repetitions per figure: the full sizes for `make bench`, `smoke` for the test that keeps the code alive."""

    import_repeats: int = 7
    ready_repeats: int = 5
    io_count_steps: int = 10
    overhead_jobs: int = 10
    overhead_steps_per_job: int = 20
    io_samples: int = 300
    push_events: int = 500
    fanout_connections: int = 1000
    fanout_repeats: int = 5
    jobs: int = 100
    job_steps: int = 10
    cache_steps: int = 20
    budget_jobs: int = 20
    invoke_repeats: int = 200

    @classmethod
    def smoke(cls) -> Sizes:
        return cls(import_repeats=1, ready_repeats=1, io_count_steps=2, overhead_jobs=2, overhead_steps_per_job=2,
                   io_samples=5, push_events=5, fanout_connections=5, fanout_repeats=1, jobs=3, job_steps=3,
                   cache_steps=4, budget_jobs=3, invoke_repeats=3)


# In run order: interpreter starts first, on a machine not yet busy with a local cloud.
GROUPS = ("imports", "ready", "step", "cache", "budget", "invoke", "push", "jobs", "fanout")


def run_group(name: str, sizes: Sizes) -> tuple[dict[str, float], dict[str, Any]]:
    """One group, in this process."""
    from bench import budget, cache, concurrent_jobs, imports, invoke, push, ready, step
    from bench.common import local_cloud

    if name == "imports":
        return imports.run(sizes.import_repeats)
    if name == "ready":
        return ready.run(sizes.ready_repeats)
    with local_cloud() as cloud:
        if name == "step":
            counted, count_detail = step.count_io(cloud, sizes.io_count_steps)
            timed, timed_detail = step.overhead(
                cloud, counted["aws_calls_per_step"], counted["redis_roundtrips_per_step"],
                jobs=sizes.overhead_jobs, steps_per_job=sizes.overhead_steps_per_job, io_samples=sizes.io_samples,
            )
            return counted | timed, count_detail | timed_detail
        if name == "cache":
            return cache.run(cloud, sizes.cache_steps)
        if name == "budget":
            return budget.run(cloud, sizes.budget_jobs)
        if name == "invoke":
            return invoke.run(cloud, sizes.invoke_repeats)
        if name == "push":
            return push.latency(cloud, sizes.push_events)
        if name == "jobs":
            return concurrent_jobs.run(cloud, sizes.jobs, sizes.job_steps)
        if name == "fanout":
            return push.fanout(cloud, sizes.fanout_connections, sizes.fanout_repeats)
    raise ValueError(f"unknown group {name!r}")


def _rss_gb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def _spawn_group(name: str, smoke: bool, log: Any) -> tuple[dict[str, float], dict[str, Any]] | str:
    """Run a group in its own interpreter; its figures, or why it did not finish."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        out = Path(tmp) / "group.json"
        args = [sys.executable, "-m", "bench", "--group", name, "--group-out", str(out)]
        args += ["--smoke"] if smoke else []
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        began = time.monotonic()
        process = subprocess.Popen(args, cwd=ROOT, env=env)
        peak = 0.0
        why = None
        while process.poll() is None:
            peak = max(peak, _rss_gb(process.pid))
            if peak > MAX_RSS_GB:
                why = f"stopped: its process grew beyond {MAX_RSS_GB:g} GB (BENCH_MAX_RSS_GB)"
            elif time.monotonic() - began > GROUP_TIMEOUT_S:
                why = f"stopped: still running after {GROUP_TIMEOUT_S:g} s (BENCH_GROUP_TIMEOUT_S)"
            if why:
                process.kill()
                process.wait()
                return f"{why}, after {time.monotonic() - began:.0f} s"
            time.sleep(0.25)
        if process.returncode != 0 or not out.exists():
            return f"crashed (exit status {process.returncode}) after {time.monotonic() - began:.0f} s"
        data = json.loads(out.read_text())
        data["detail"]["peak_rss_gb"] = round(peak, 2)
        return data["figures"], data["detail"]


def run(sizes: Sizes, smoke: bool, only: set[str] | None, log: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    figures: dict[str, float] = {}
    details: dict[str, Any] = {"sizes": asdict(sizes)}
    crashed: dict[str, str] = {}
    for name in GROUPS:
        if only and name not in only:
            continue
        began = time.monotonic()
        log(f"bench: {name} ...")
        outcome = _spawn_group(name, smoke, log)
        if isinstance(outcome, str):
            crashed[name] = outcome
            details[name] = {"did_not_finish": outcome}
            log(f"bench: {name} {outcome}")
            continue
        got, detail = outcome
        figures.update({k: float(v) for k, v in got.items()})
        details[name] = {**detail, "seconds": round(time.monotonic() - began, 1)}
        log(f"bench: {name} done in {time.monotonic() - began:.1f} s: "
            + ", ".join(f"{k}={report.fmt(v)}" for k, v in got.items()))
    results: dict[str, Any] = {key: figures.get(key, float("nan")) for key in report.KEYS}
    results["machine"] = report.machine()
    results["timestamp"] = datetime.now(UTC).isoformat(timespec="seconds")
    details["crashed"] = crashed
    return results, details


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (what the test suite runs)")
    parser.add_argument("--only", nargs="*", choices=GROUPS, help="run only these groups")
    parser.add_argument("--out", type=Path, default=ROOT / "bench", help="where results.json and RESULTS.md go")
    parser.add_argument("--group", choices=GROUPS, help=argparse.SUPPRESS)  # internal: one group, in-process
    parser.add_argument("--group-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for noisy in ("urllib3", "botocore", "werkzeug", "websockets", "httpx", "anthropic"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    sizes = Sizes.smoke() if args.smoke else Sizes()
    if args.group:
        try:
            got, detail = run_group(args.group, sizes)
        except Exception:
            traceback.print_exc()
            return 1
        args.group_out.write_text(json.dumps({"figures": got, "detail": detail}, default=str))
        return 0

    began = time.monotonic()
    results, details = run(sizes, args.smoke, set(args.only) if args.only else None,
                           log=lambda line: print(line, file=sys.stderr, flush=True))
    details["total_seconds"] = round(time.monotonic() - began, 1)
    report.write(results, details, args.out)
    print(report.table_text(results))
    for name, why in details["crashed"].items():
        print(f"\n{name}: {why}")
    print(f"\nmachine: {results['machine']}\nwritten: {args.out / 'results.json'}, {args.out / 'RESULTS.md'}"
          f" ({details['total_seconds']} s)")
    return 1 if details["crashed"] else 0


if __name__ == "__main__":
    sys.exit(main())
