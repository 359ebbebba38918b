"""Shared fixtures: real Redis (own db), moto AWS built from template.yaml, the model emulator, a test clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
# Fake credentials before anything builds a boto3 client: no test ever reaches real AWS.
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ[_name] = _value
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("ANTHROPIC_API_KEY", None)

from localcloud.emulators.moto_patches import normalize_number_arithmetic  # noqa: E402

normalize_number_arithmetic()  # moto, like DynamoDB, must survive a reservation released to exactly zero

JWT_SECRET = "test-secret-of-at-least-32-bytes-length"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


class TestClock:
    """The runtime's clock under test control (cofounder.clock reads it)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when


@pytest.fixture
def clock() -> Iterator[TestClock]:
    from cofounder import clock as runtime_clock

    test_clock = TestClock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    runtime_clock.set_source(test_clock)
    yield test_clock
    runtime_clock.set_source(None)


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    client.flushdb()  # only the tests' own database
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def emulator():
    from localcloud.emulators.model import ModelEmulator

    with ModelEmulator() as emu:
        yield emu


@pytest.fixture(scope="session")
def template() -> dict:
    from localcloud.template import load_template

    return load_template(ROOT / "template.yaml")


@pytest.fixture(scope="session")
def management_server():
    """The local cloud's management API (`@connections/{id}`) on a port of its own, recording what is posted."""
    from tests.support.management import ServedManagementApi

    with ServedManagementApi() as served:
        yield served


@pytest.fixture
def aws(template, monkeypatch, emulator, redis_client, management_server):
    """moto with every resource of template.yaml, and the functions' environment pointing at it (pushes go
    to the local management API server: moto's lives inside botocore, which the push adapter does not use)."""
    from moto import mock_aws

    from cofounder.bootstrap import runtime
    from localcloud.template import function_environment, provision

    with mock_aws():
        resources = provision(template)
        for logical_id in ("WakeFunction", "AgentStepFunction", "HttpApiFunction", "WebSocketFunction"):
            for name, value in function_environment(template, logical_id, resources).items():
                monkeypatch.setenv(name, value)
        monkeypatch.setenv("WS_ENDPOINT", f"{management_server.url}/live")
        management_server.reset(secret_keys={os.environ["AWS_ACCESS_KEY_ID"]: os.environ["AWS_SECRET_ACCESS_KEY"]})
        monkeypatch.setenv("JWT_SECRET", JWT_SECRET)
        monkeypatch.setenv("REDIS_URL", TEST_REDIS_URL)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", emulator.url)
        monkeypatch.setenv("MODEL_MAX_RETRIES", "2")
        runtime.cache_clear()
        yield resources
        runtime.cache_clear()


@pytest.fixture
def rt(aws):
    """A runtime on the test cloud with the real Anthropic adapter and an in-memory push port."""
    from cofounder.adapters.memory_push import MemoryPusher
    from cofounder.bootstrap import build_runtime
    from cofounder.config import Settings

    runtime = build_runtime(Settings.from_env(), with_model=True)
    runtime.pusher = MemoryPusher()
    return runtime


@pytest.fixture
def management_api(aws, management_server):
    """What the management API received: `.received[connection_id]` (JSON bodies in order), `.gone` (answer
    410), `.failing` (connection id -> status); every request's SigV4 signature is checked after the test."""
    yield management_server
    assert management_server.signature_errors() == []


@pytest.fixture
def token():
    """Issues JWTs the way the local cloud does (HS256 with the test secret)."""
    from cofounder.auth import issue_token
    from cofounder.config import Settings

    def make(sub: str = "founder-1", **kwargs):
        return issue_token(sub, Settings.from_env(), **kwargs)

    return make
