"""The benchmark code at tiny sizes, so it cannot rot: every figure is produced as a number (no timing asserts)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMOKE_REDIS_URL = os.environ.get("BENCH_SMOKE_REDIS_URL", "redis://127.0.0.1:6379/11")


def test_make_bench_at_tiny_sizes_writes_every_figure_as_a_number(tmp_path):
    from bench.report import KEYS

    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_REDIS_URL": SMOKE_REDIS_URL}
    for name in ("AWS_ENDPOINT_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        env.pop(name, None)  # the benchmarks run their own local cloud
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr[-4000:]

    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results) == {*KEYS, "machine", "timestamp"}
    for key in KEYS:
        value = results[key]
        assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)
        assert math.isfinite(value), (key, value)
    assert isinstance(results["machine"], str) and "Python" in results["machine"]
    assert isinstance(results["timestamp"], str) and results["timestamp"]

    table = (tmp_path / "RESULTS.md").read_text()
    assert all(f"`{key}`" in table for key in KEYS)
    assert all(key in run.stdout for key in KEYS)  # the figure / target / measured table on stdout
