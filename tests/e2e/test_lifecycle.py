"""The whole lifecycle as a user drives it: HTTP + WebSocket + Redis keys + clock advance."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from cofounder.domain.budget import WAKE_SPREAD_S
from tests.e2e.ws_client import EventStream


def test_a_whole_session_over_real_sockets(cloud, mirror):
    founder, stranger = cloud.client("founder-1"), cloud.client("founder-2")
    token = cloud.token("founder-1")
    goal = {"goal": "Validate demand for a B2B invoicing tool", "daily_budget_usd": 1}
    created = founder.post("/api/jobs", json=goal)
    assert created.status_code == 201
    job = created.json()
    tab1, tab2 = EventStream(cloud.ws_url, token), EventStream(cloud.ws_url, token)
    tab1.subscribe(job["job_id"])
    tab2.subscribe(job["job_id"])

    raised = tab1.wait_for("agent.escalation_raised")
    assert raised["recommended_action"].startswith("Approve a $300 LinkedIn campaign")
    status = founder.get(f"/api/jobs/{job['job_id']}/status").json()
    assert status["state"] == "waiting_for_input"
    assert status["pending_escalation"]["escalation_id"] == raised["escalation_id"]
    assert mirror.get(f"cofounder:agent:{job['session_id']}:state") == "waiting_for_input"
    assert 0 <= int(mirror.get(f"cofounder:agent:{job['session_id']}:budget_pct")) < 90

    resolve = f"/api/escalations/{raised['escalation_id']}/resolve"
    assert stranger.post(resolve, json={"decision": "mine"}).status_code == 404
    assert founder.post(resolve, json={"decision": "Approved"}).status_code == 200
    assert founder.post(resolve, json={"decision": "Again"}).status_code == 409
    for tab in (tab1, tab2):
        resolved = tab.wait_for("agent.escalation_resolved")
        assert resolved["escalation_id"] == raised["escalation_id"] and resolved["resolution"] == "Approved"

    sleeping = tab1.wait_for("agent.sleeping")
    now = datetime.fromisoformat(httpx.get(f"{cloud.api}/_local/clock").json()["now"])
    midnight = (now + timedelta(days=1)).date().isoformat() + "T00:00:00Z"
    assert sleeping["wake_at"] == midnight
    wake_key = f"cofounder:agent:{job['session_id']}:wake_at"
    assert mirror.get(wake_key) == midnight
    seconds_left = (datetime.fromisoformat(midnight.replace("Z", "+00:00")) - now).total_seconds()
    assert abs(mirror.ttl(wake_key) - seconds_left) <= 3
    assert int(mirror.get(f"cofounder:agent:{job['session_id']}:budget_pct")) >= 90
    assert founder.get(f"/api/jobs/{job['job_id']}/status").json()["wake_at"] == midnight

    cloud.advance(seconds_left + WAKE_SPREAD_S + 60)  # wakes are spread over the minutes after the refresh
    woke = tab1.wait_for("agent.woke")
    assert woke["budget_pct"] == 0
    completed = tab1.wait_for("agent.completed")
    assert completed["summary"].startswith("Demand is validated")
    tab2.wait_for("agent.completed")

    # both tabs saw the whole log, in order, exactly once
    log = founder.get(f"/api/jobs/{job['job_id']}/events", params={"after": 0}).json()["events"]
    assert [e["event_id"] for e in log] == list(range(1, len(log) + 1))
    assert tab1.events() == log and tab2.events() == log

    # a reload: reconnect with the last id it had, and get exactly what it missed
    tab2.close()
    last_seen = log[6]["event_id"]
    reloaded = EventStream(cloud.ws_url, token)
    reloaded.subscribe(job["job_id"], after=last_seen)
    reloaded.wait_for("agent.completed")
    assert reloaded.events() == log[7:]
    assert founder.get(f"/api/jobs/{job['job_id']}/status").json()["state"] == "completed"
    for tab in (tab1, reloaded):
        tab.close()
