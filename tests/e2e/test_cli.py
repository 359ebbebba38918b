"""The CLI as a user runs it: `invoke` for every sample event, `token`, and the demo itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import boto3
import localstack_client.session
import pytest

from tests.e2e.conftest import ROOT

SAMPLES = {
    "agent_step_sqs.json": ("AgentStepFunction", {"batchItemFailures": []}),
    "wake_schedule.json": ("WakeFunction", {"woke": False}),
    "sweeper_schedule.json": ("SweeperFunction", {"resent": 0, "woken": 0, "purged": 0}),  # nothing to repair
    "dead_letter_sqs.json": ("DeadLetterFunction", {"batchItemFailures": []}),  # an unknown job: nothing to do
    "http_create_job.json": ("HttpApiFunction", 201),
    "http_job_status.json": ("HttpApiFunction", 404),
    "http_list_jobs.json": ("HttpApiFunction", 200),
    "http_list_escalations.json": ("HttpApiFunction", 404),
    "http_job_events.json": ("HttpApiFunction", 404),
    "http_resolve_escalation.json": ("HttpApiFunction", 404),
    "http_openapi.json": ("HttpApiFunction", 200),
    "ws_connect.json": ("WebSocketFunction", 401),  # the sample's token is not signed by the local secret
    "ws_subscribe.json": ("WebSocketFunction", 200),
    "ws_disconnect.json": ("WebSocketFunction", 200),
}


def test_every_sample_event_has_an_expectation():
    assert sorted(p.name for p in (ROOT / "events").glob("*.json")) == sorted(SAMPLES)


def invoke(logical_id: str, event: str, state_file=None) -> object:
    env = {k: v for k, v in os.environ.items() if k != "LOCALCLOUD_STATE_FILE"}
    env["LOCALCLOUD_STATE_FILE"] = str(state_file or ROOT / ".localcloud" / "no-cloud-here.json")
    run = subprocess.run(
        [sys.executable, "-m", "localcloud", "invoke", logical_id, "-e", f"events/{event}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


@pytest.mark.parametrize("event", sorted(SAMPLES))
def test_invoke_runs_each_sample_event_against_its_function(event, tmp_path, monkeypatch):
    logical_id, expected = SAMPLES[event]
    result = invoke(logical_id, event)
    if isinstance(expected, int):
        assert result["statusCode"] == expected, result
    else:
        assert result == expected


def test_invoke_reaches_the_running_local_cloud_when_there_is_one(cloud):
    state_file = cloud.log.parent / "state.json"
    created = invoke("HttpApiFunction", "http_create_job.json", state_file)
    assert created["statusCode"] == 201
    job_id = json.loads(created["body"])["job_id"]
    listed = cloud.client("founder-1").get("/api/jobs").json()["jobs"]  # the sample event's founder
    assert job_id in [j["job_id"] for j in listed]


def test_invoke_of_an_unknown_function_is_a_clear_error():
    run = subprocess.run(
        [sys.executable, "-m", "localcloud", "invoke", "NoSuchFunction", "-e", "events/wake_schedule.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode != 0 and "no function 'NoSuchFunction'" in run.stderr


def test_localstack_client_sessions_and_the_aws_cli_style_endpoint_work_against_the_cloud(cloud):
    session = localstack_client.session.Session(localstack_host=f"127.0.0.1:{cloud.aws}")
    tables = session.client("dynamodb").list_tables()["TableNames"]
    assert {"cofounder-AgentTable", "cofounder-ConnectionsTable"} <= set(tables)
    queues = session.client("sqs").list_queues()["QueueUrls"]
    assert any(q.endswith("cofounder-StepQueue.fifo") for q in queues)
    plain = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{cloud.aws}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    assert "cofounder-payloadbucket" in [b["Name"] for b in plain.list_buckets()["Buckets"]]


def test_the_demo_runs_non_interactively_and_exits_0():
    run = subprocess.run(
        [sys.executable, "-m", "localcloud", "demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    story = run.stdout
    for beat in (
        "state  working",
        "The agent needs you",
        "accepting the recommendation",
        "founder decided",
        "state  sleeping",
        "time travel",
        "woke up",
        "state  completed",
        "Demand is validated",
    ):
        assert beat in story, f"the demo did not show {beat!r}:\n{story}"
