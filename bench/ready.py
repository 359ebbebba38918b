"""`python -m localcloud up` from process start to the `localcloud ready` line (free ports each time)."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import tempfile
import time
from typing import Any

from bench.common import BENCH_REDIS_URL, PY, ROOT


def _once(timeout: float = 120) -> tuple[float, float]:
    from localcloud.redis_choice import free_port

    ports = [f"--{name}-port={free_port()}" for name in ("http", "ws", "aws", "model")]
    env = {**os.environ, "REDIS_URL": BENCH_REDIS_URL, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    for name in ("AWS_ENDPOINT_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        env.pop(name, None)
    # Its own working directory: `up` writes .localcloud/state.json there, not over a developer's running cloud.
    with tempfile.TemporaryDirectory(prefix="bench-up-") as cwd:
        env["LOCALCLOUD_STATE_FILE"] = os.path.join(cwd, "state.json")
        began = time.monotonic()
        process = subprocess.Popen([PY, "-m", "localcloud", "up", *ports], cwd=cwd, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        took = None
        output: list[str] = []
        try:
            assert process.stdout is not None
            deadline = began + timeout
            for line in process.stdout:
                output.append(line)
                if "localcloud ready" in line:
                    took = time.monotonic() - began
                    break
                if time.monotonic() > deadline:
                    break
            if took is None:
                raise RuntimeError("localcloud up did not get ready:\n" + "".join(output[-30:]))
        finally:
            stopping = time.monotonic()
            process.send_signal(signal.SIGTERM)
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
            stopped = time.monotonic() - stopping
    return took, stopped


def run(repeats: int = 5) -> tuple[dict[str, float], dict[str, Any]]:
    runs = [_once() for _ in range(repeats)]
    samples = [ready for ready, _ in runs]
    return {"localcloud_ready_s": statistics.median(samples)}, {
        "runs_s": [round(s, 2) for s in samples],
        "sigterm_to_exit_s": [round(stop, 2) for _, stop in runs],
    }
