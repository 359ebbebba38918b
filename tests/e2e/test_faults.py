"""Faults on the local cloud: an overloaded / rate-limited model, and a browser that vanished."""

from __future__ import annotations

import time

import boto3
import httpx
import pytest

from tests.e2e.conftest import SCENARIOS, start_cloud, stop_cloud
from tests.e2e.ws_client import EventStream


@pytest.fixture(scope="module")
def stormy(tmp_path_factory):
    running = start_cloud(SCENARIOS / "faults.json", tmp_path_factory.mktemp("faults") / "up.log")
    yield running
    stop_cloud(running)


def connections_of(cloud, job_id: str) -> list[str]:
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=f"http://127.0.0.1:{cloud.aws}", region_name="us-east-1",
        aws_access_key_id="local", aws_secret_access_key="local",
    )
    items = dynamodb.scan(TableName="cofounder-ConnectionsTable")["Items"]
    return sorted(i["connection_id"]["S"] for i in items if i.get("job_id", {}).get("S") == job_id)


def test_the_session_completes_through_529s_and_a_429_and_a_vanished_client_is_dropped(stormy):
    founder = stormy.client("founder-1")
    token = stormy.token("founder-1")
    job = founder.post("/api/jobs", json={"goal": "Survive the storm", "daily_budget_usd": 5}).json()
    staying, leaving = EventStream(stormy.ws_url, token), EventStream(stormy.ws_url, token)
    staying.subscribe(job["job_id"])
    leaving.subscribe(job["job_id"])
    staying.wait_for("agent.step_completed")
    leaving.wait_for("agent.step_completed")
    assert len(connections_of(stormy, job["job_id"])) == 2
    leaving.connection.socket.close()  # the browser vanished without a close frame

    completed = staying.wait_for("agent.completed", timeout=60)
    assert completed["summary"] == "Weathered the storm."
    log = founder.get(f"/api/jobs/{job['job_id']}/events").json()["events"]
    assert staying.events() == log  # the remaining client got everything, once, in order
    assert [e["type"] for e in log].count("agent.step_completed") == 3
    assert "agent.error" not in [e["type"] for e in log]
    assert len(connections_of(stormy, job["job_id"])) == 1  # the vanished one was removed
    staying.close()


def test_an_injected_dynamodb_fault_fails_one_status_read_and_the_next_one_succeeds(stormy):
    founder = stormy.client("founder-2")
    job = founder.post("/api/jobs", json={"goal": "Read through a fault", "daily_budget_usd": 5}).json()
    status_url = f"/api/jobs/{job['job_id']}/status"
    deadline = time.monotonic() + 60
    while founder.get(status_url).json()["state"] == "working":  # no step may take the fault meanwhile
        assert time.monotonic() < deadline, "the job never settled"
        time.sleep(0.2)
    faults = f"http://127.0.0.1:{stormy.aws}/_local/faults"
    injected = httpx.post(faults, json={"service": "dynamodb", "operation": "GetItem", "retryable": False, "times": 1})
    assert injected.status_code == 201, injected.text
    listed = httpx.get(f"{stormy.api}/_local/faults").json()["faults"]  # the HTTP port answers the same API
    assert [(f["operation"], f["remaining"]) for f in listed] == [("GetItem", 1)]

    failed = founder.get(status_url)
    assert not failed.is_success, failed.text
    assert founder.get(status_url).status_code == 200
    assert httpx.get(faults).json() == {"faults": []}
