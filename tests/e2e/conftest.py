"""The local cloud as a user runs it: `python -m localcloud up` in its own process, driven over real sockets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from localcloud.redis_choice import free_port

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("LOCALCLOUD_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
SCENARIOS = Path(__file__).parent / "scenarios"


@dataclass
class RunningCloud:
    process: subprocess.Popen
    http: int
    ws: int
    aws: int
    model: int
    log: Path

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.http}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws}"

    def token(self, sub: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "localcloud", "token", "--sub", sub],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip().splitlines()[-1]

    def client(self, sub: str) -> httpx.Client:
        return httpx.Client(base_url=self.api, headers={"Authorization": f"Bearer {self.token(sub)}"}, timeout=30)

    def advance(self, seconds: float) -> dict:
        answer = httpx.post(f"{self.api}/_local/clock/advance", json={"seconds": seconds})
        answer.raise_for_status()
        return answer.json()


def start_cloud(
    scenario: Path | None, log: Path, *, redis_url: str = REDIS_URL, cls: type[RunningCloud] = RunningCloud
) -> RunningCloud:
    ports = {name: free_port() for name in ("http", "ws", "aws", "model")}
    redis.Redis.from_url(redis_url).flushdb()
    args = [sys.executable, "-m", "localcloud", "up"] + [f"--{k}-port={v}" for k, v in ports.items()]
    if scenario is not None:
        args += ["--scenario", str(scenario)]
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "PYTHONUNBUFFERED": "1",
        "LOCALCLOUD_STATE_FILE": str(log.parent / "state.json"),
    }
    for name in ("AWS_ENDPOINT_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        env.pop(name, None)
    handle = log.open("w")
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while "localcloud ready" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"localcloud did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    return cls(process, log=log, **ports)


def stop_cloud(cloud: RunningCloud) -> None:
    cloud.process.send_signal(signal.SIGTERM)
    try:
        assert cloud.process.wait(timeout=20) == 0, cloud.log.read_text()[-3000:]
    finally:
        if cloud.process.poll() is None:
            cloud.process.kill()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory) -> Iterator[RunningCloud]:
    """The local cloud with the default scenario (one per test module)."""
    running = start_cloud(None, tmp_path_factory.mktemp("localcloud") / "up.log")
    yield running
    stop_cloud(running)


@pytest.fixture
def mirror() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    client.close()


def load(name: str) -> dict:
    return json.loads((SCENARIOS / name).read_text())
