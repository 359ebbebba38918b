"""The HTTP API through its handler with events/http_*.json: every route, every error code, tenancy."""

from __future__ import annotations

import base64
import json
import threading
from decimal import Decimal

import boto3
import pytest

from cofounder.adapters.redis_mirror import budget_pct_key, wake_at_key
from cofounder.bootstrap import runtime
from cofounder.domain import events
from tests.support.agent import ESCALATE, FINISH, note, step
from tests.support.api import call_http, http, http_event
from tests.support.cloud import Cloud

GOAL = {"goal": "Validate demand for a B2B invoicing tool", "daily_budget_usd": 5, "model": "claude-haiku-4-5"}


@pytest.fixture
def job(aws, emulator, clock):
    emulator.set_scenario({"turns": [ESCALATE, FINISH]})
    status, body = http("http_create_job.json", body=GOAL)
    assert status == 201, body
    return body


@pytest.fixture
def escalated(job):
    step(runtime(with_model=True), job["job_id"])
    (escalation,) = runtime().store.list_escalations(job["job_id"])
    return job, escalation.escalation_id


def test_create_job_answers_201_and_enqueues_the_first_step(aws, emulator, clock):
    emulator.set_scenario({"turns": [note(0), FINISH]})
    status, body = http("http_create_job.json")  # the sample event as it is
    assert status == 201
    assert set(body) == {"job_id", "session_id", "state"} and body["state"] == "working"
    (message,) = Cloud(aws).receive()
    assert json.loads(message["Body"]) == {"job_id": body["job_id"], "step": 0}
    assert message["Attributes"]["MessageGroupId"] == body["job_id"]
    job = runtime().store.get_job(body["job_id"])
    assert job.owner_id == "founder-1" and job.daily_budget_usd == 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "goal"),
        ({"goal": ""}, "goal"),
        ({"goal": "   "}, "goal"),
        ({"goal": "\x1c\u2003"}, "goal"),
        ({"goal": "x" * 4001}, "goal"),
        ({"goal": 42}, "goal"),
        ({"goal": "ok", "daily_budget_usd": 0}, "daily_budget_usd"),
        ({"goal": "ok", "daily_budget_usd": -1}, "daily_budget_usd"),
        ({"goal": "ok", "daily_budget_usd": "lots"}, "daily_budget_usd"),
        ({"goal": "ok", "model": "gpt-4"}, "model"),
        ({"goal": "ok", "model": ""}, "model"),
    ],
)
def test_create_job_rejects_invalid_bodies_with_422_naming_the_field(aws, body, field):
    status, answer = http("http_create_job.json", body=body)
    assert status == 422
    assert field in answer["fields"] and field in answer["message"]
    assert boto3.client("dynamodb").scan(TableName=aws.ref("AgentTable"))["Count"] == 0  # nothing half-written


@pytest.mark.parametrize(
    ("raw", "base64_encoded"),
    [("{not json", False), (base64.b64encode(b"\xff\xfe{").decode(), True), ("[1, 2", False)],
)
def test_malformed_json_is_400(aws, raw, base64_encoded):
    event = http_event("http_create_job.json", raw_body=raw)
    event["isBase64Encoded"] = base64_encoded
    status, answer = call_http(event)
    assert status == 400 and answer["message"]


@pytest.mark.parametrize("raw", ["", "null", "[]", '"a string"'])
def test_a_missing_or_non_object_body_is_422_naming_the_body(aws, raw):
    status, answer = call_http(http_event("http_create_job.json", raw_body=raw))
    assert status == 422 and answer["fields"] == ["body"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "image/png"]
)
def test_other_content_types_are_415_and_nothing_is_written(aws, content_type):
    event = http_event("http_create_job.json", raw_body="goal=x", headers={"content-type": content_type})
    assert call_http(event) == (415, {"message": "Send the body as JSON (content-type: application/json)."})
    assert boto3.client("dynamodb").scan(TableName=aws.ref("AgentTable"))["Count"] == 0


@pytest.mark.parametrize(
    "headers", [{}, {"content-type": "application/json; charset=utf-8"}, {"Content-Type": "application/vnd.api+json"}]
)
def test_json_bodies_in_any_json_media_type_or_none(aws, emulator, clock, headers):
    emulator.set_scenario({"turns": [FINISH]})
    event = http_event("http_create_job.json", body=GOAL)
    event["headers"] = {k: v for k, v in event["headers"].items() if k.lower() != "content-type"} | headers
    assert call_http(event)[0] == 201


@pytest.mark.parametrize(("given", "stored"), [(5e-324, "1E-9"), (0.1, "0.100000000"), (1e3, "1000.000000000")])
def test_any_positive_budget_up_to_the_cap_is_accepted_and_stored_exactly(aws, emulator, clock, given, stored):
    emulator.set_scenario({"turns": [FINISH]})
    status, body = http("http_create_job.json", body={"goal": "g", "daily_budget_usd": given})
    assert status == 201
    assert str(runtime().store.get_job(body["job_id"]).daily_budget_usd) == stored


def test_a_budget_over_the_stacks_cap_is_422_naming_the_cap(aws, emulator, clock):
    status, body = http("http_create_job.json", body={"goal": "g", "daily_budget_usd": 1000.01})
    assert status == 422 and body["fields"] == ["daily_budget_usd"]
    assert "1000" in body["message"] and "MaxDailyBudgetUsd" in body["message"]


def test_an_idempotency_key_over_http_returns_the_first_answer(aws, emulator, clock):
    emulator.set_scenario({"turns": [FINISH]})
    first = http("http_create_job.json", body=GOAL, headers={"idempotency-key": "retry-1"})
    again = http("http_create_job.json", body=GOAL, headers={"idempotency-key": "retry-1"})
    assert first[0] == again[0] == 201 and first[1] == again[1]
    status, body = http("http_create_job.json", body=GOAL, headers={"idempotency-key": "bad key"})
    assert status == 422 and body["fields"] == ["Idempotency-Key"]


def test_a_json_body_sent_as_a_form_is_read_as_json(aws, emulator, clock):
    emulator.set_scenario({"turns": [FINISH]})
    event = http_event("http_create_job.json", body=GOAL, headers={"content-type": "application/x-www-form-urlencoded"})
    assert call_http(event)[0] == 201


@pytest.mark.parametrize(
    "name",
    [
        "http_create_job.json",
        "http_job_status.json",
        "http_list_escalations.json",
        "http_job_events.json",
        "http_resolve_escalation.json",
        "http_list_jobs.json",
    ],
)
def test_no_verified_claims_is_401(aws, name):
    status, answer = http(name, sub=None)
    assert status == 401 and "token" in answer["message"]


def test_list_jobs_shows_only_the_founders_own_newest_first(aws, emulator, clock):
    emulator.set_scenario({"turns": [FINISH]})
    mine = []
    for i in range(3):
        clock.advance(seconds=1)
        mine.append(http("http_create_job.json", body={"goal": f"goal {i}"})[1]["job_id"])
    http("http_create_job.json", sub="founder-2", body={"goal": "theirs"})
    status, body = http("http_list_jobs.json", query={})
    assert status == 200
    assert [j["job_id"] for j in body["jobs"]] == mine[::-1]
    assert body["jobs"][0]["goal"] == "goal 2" and body["jobs"][0]["state"] == "working"
    assert [j["job_id"] for j in http("http_list_jobs.json", query={"limit": "2"})[1]["jobs"]] == mine[:0:-1]
    assert http("http_list_jobs.json", query={"limit": "0"})[0] == 422
    assert http("http_list_jobs.json", sub="nobody", query={})[1] == {"jobs": [], "next_after": None}


def test_status_is_the_live_bootstrap(job, redis_client):
    status, body = http("http_job_status.json", path={"job_id": job["job_id"]})
    assert status == 200
    assert body == {
        "job_id": job["job_id"],
        "session_id": job["session_id"],
        "state": "working",
        "budget_pct": None,
        "wake_at": None,
        "pending_escalation": None,
        "steps": 0,
        "cost_usd": 0.0,
    }
    redis_client.set(budget_pct_key(job["session_id"]), 42)
    redis_client.set(wake_at_key(job["session_id"]), "2026-11-26T00:00:00Z")
    body = http("http_job_status.json", path={"job_id": job["job_id"]})[1]
    assert (body["budget_pct"], body["wake_at"]) == (42, "2026-11-26T00:00:00Z")


def test_status_with_a_pending_escalation_and_redis_down(escalated, monkeypatch):
    job, escalation_id = escalated
    from cofounder.adapters.redis_mirror import RedisMirror

    monkeypatch.setattr(runtime(), "mirror", RedisMirror.from_url("redis://127.0.0.1:1/0"))
    status, body = http("http_job_status.json", path={"job_id": job["job_id"]})
    assert status == 200
    assert body["state"] == "waiting_for_input" and body["steps"] == 1 and body["cost_usd"] > 0
    assert body["budget_pct"] is None and body["wake_at"] is None
    assert body["pending_escalation"]["escalation_id"] == escalation_id
    assert body["pending_escalation"]["status"] == "pending"


def test_escalations_and_resolve(escalated, aws):
    job, escalation_id = escalated
    status, body = http("http_list_escalations.json", path={"job_id": job["job_id"]})
    assert status == 200
    (listed,) = body["escalations"]
    assert listed["problem"] == "Need a call" and listed["status"] == "pending" and listed["decision"] is None

    status, resolved = http(
        "http_resolve_escalation.json",
        path={"escalation_id": escalation_id},
        body={"decision": "Do it", "guidance": "Keep it cheap"},
    )
    assert status == 200
    assert resolved["status"] == "resolved" and resolved["decision"] == "Do it"
    assert resolved["guidance"] == "Keep it cheap" and resolved["resolved_at"]
    again = http("http_resolve_escalation.json", path={"escalation_id": escalation_id}, body={"decision": "No"})
    assert again[0] == 409 and "already resolved" in again[1]["message"]
    assert http("http_resolve_escalation.json", path={"escalation_id": "nope"}, body={"decision": "x"})[0] == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "decision"),
        ({"decision": ""}, "decision"),
        ({"decision": "x" * 2001}, "decision"),
        ({"decision": "ok", "guidance": 5}, "guidance"),
    ],
)
def test_resolve_rejects_invalid_bodies(escalated, body, field):
    _, escalation_id = escalated
    status, answer = http("http_resolve_escalation.json", path={"escalation_id": escalation_id}, body=body)
    assert status == 422 and field in answer["fields"]
    assert runtime().store.get_escalation(escalation_id).status == "pending"


def test_ten_concurrent_resolves_one_wins_nine_conflict_one_resume(escalated, aws):
    from localcloud.emulators.moto_patches import serialize_dynamodb

    serialize_dynamodb()
    job, escalation_id = escalated
    cloud = Cloud(aws)
    while messages := cloud.receive(10):  # the queue holds nothing for the job before the resolve
        for m in messages:
            cloud.sqs.delete_message(QueueUrl=cloud.queue_url, ReceiptHandle=m["ReceiptHandle"])
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def resolve(i: int) -> None:
        event = http_event(
            "http_resolve_escalation.json", path={"escalation_id": escalation_id}, body={"decision": f"decision {i}"}
        )
        barrier.wait()
        statuses.append(call_http(event)[0])

    threads = [threading.Thread(target=resolve, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 9
    log = runtime().store.events_after(job["job_id"], 0)
    assert [e["type"] for e in log].count(events.ESCALATION_RESOLVED) == 1
    resumes = [json.loads(m["Body"]) for m in cloud.receive(10)]
    assert resumes == [{"job_id": job["job_id"], "step": 1}]


def test_events_replay_in_order_after_an_id(escalated):
    job, _ = escalated
    status, body = http("http_job_events.json", path={"job_id": job["job_id"]}, query={"after": "0"})
    assert status == 200
    ids = [e["event_id"] for e in body["events"]]
    assert ids == list(range(1, len(ids) + 1)) and len(ids) >= 5
    later = http("http_job_events.json", path={"job_id": job["job_id"]}, query={"after": "3"})[1]["events"]
    assert [e["event_id"] for e in later] == ids[3:]
    assert http("http_job_events.json", path={"job_id": job["job_id"]}, query={})[1]["events"] == body["events"]


@pytest.mark.parametrize("after", ["-1", "abc", "1.5"])
def test_events_with_a_bad_after_is_422(job, after):
    status, answer = http("http_job_events.json", path={"job_id": job["job_id"]}, query={"after": after})
    assert status == 422 and answer["fields"] == ["after"]


def test_another_founders_job_is_404_everywhere_exactly_like_an_unknown_one(escalated):
    job, escalation_id = escalated
    stranger = "founder-2"
    answers = [
        http("http_job_status.json", sub=stranger, path={"job_id": job["job_id"]}),
        http("http_list_escalations.json", sub=stranger, path={"job_id": job["job_id"]}),
        http("http_job_events.json", sub=stranger, path={"job_id": job["job_id"]}, query={"after": "0"}),
        http(
            "http_resolve_escalation.json",
            sub=stranger,
            path={"escalation_id": escalation_id},
            body={"decision": "mine now"},
        ),
    ]
    unknown = [
        http("http_job_status.json", path={"job_id": "no-such-job"}),
        http("http_list_escalations.json", path={"job_id": "no-such-job"}),
        http("http_job_events.json", path={"job_id": "no-such-job"}, query={"after": "0"}),
        http("http_resolve_escalation.json", path={"escalation_id": "no-such-escalation"}, body={"decision": "x"}),
    ]
    assert [s for s, _ in answers] == [404] * 4 == [s for s, _ in unknown]
    for (_, mine), (_, nobodys) in zip(answers, unknown, strict=True):
        assert mine["message"].replace(job["job_id"], "?").replace(escalation_id, "?") == nobodys["message"].replace(
            "no-such-job", "?"
        ).replace("no-such-escalation", "?")
    assert runtime().store.get_escalation(escalation_id).status == "pending"


def test_openapi_document_needs_no_token(aws):
    status, document = http("http_openapi.json", sub=None)
    assert status == 200
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/jobs",  # POST (start) and GET (list)
        "/api/jobs/{job_id}/status",
        "/api/jobs/{job_id}/escalations",
        "/api/escalations/{escalation_id}/resolve",
        "/api/jobs/{job_id}/events",
    }
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.parametrize(
    ("goal", "budget", "field"),
    [(" \t\n", "1", "goal"), ("ok", "0", "daily_budget_usd"), ("ok", "-0.5", "daily_budget_usd")],
)
def test_the_service_itself_refuses_what_the_api_would_and_writes_nothing(aws, goal, budget, field):
    from cofounder.errors import InvalidInput
    from cofounder.services.jobs import create_job

    with pytest.raises(InvalidInput) as refused:
        create_job(runtime(), "founder-1", goal, Decimal(budget))
    assert refused.value.field == field
    assert boto3.client("dynamodb").scan(TableName=aws.ref("AgentTable"))["Count"] == 0


# -- pagination ---------------------------------------------------------------------------------------------------


def pages(name: str, key: str, limit: int, **kwargs) -> list[list]:
    """Every page of a list route, following next_after until it is null."""
    found, query = [], {"limit": str(limit)}
    while True:
        status, body = http(name, query=query, **kwargs)
        assert status == 200, body
        found.append(body[key])
        if body["next_after"] is None:
            return found
        query = {"limit": str(limit), "after": str(body["next_after"])}


def test_events_come_in_pages_that_chain_to_the_whole_log(escalated):
    job, _ = escalated
    path = {"job_id": job["job_id"]}
    whole = http("http_job_events.json", path=path, query={})[1]
    assert whole["next_after"] is None and len(whole["events"]) >= 5
    paged = pages("http_job_events.json", "events", 2, path=path)
    assert [e for page in paged for e in page] == whole["events"]
    assert [len(page) for page in paged[:-1]] == [2] * (len(paged) - 1) and 1 <= len(paged[-1]) <= 2
    first = http("http_job_events.json", path=path, query={"limit": "2"})[1]
    assert first["next_after"] == first["events"][-1]["event_id"] == 2
    exact = http("http_job_events.json", path=path, query={"limit": str(len(whole["events"]))})[1]
    assert exact["next_after"] is None  # a last page that happens to be full says so too
    past = http("http_job_events.json", path=path, query={"after": "9999999999"})[1]
    assert past == {"events": [], "next_after": None}


def test_escalations_come_in_pages_in_escalation_id_order(job, aws):
    from cofounder.adapters.dynamo_items import escalation_to_item
    from cofounder.domain.job import Escalation

    table = boto3.resource("dynamodb").Table(aws.ref("AgentTable"))
    ids = [f"{i:08d}-0000-4000-8000-000000000000" for i in (7, 3, 5)]
    for n, escalation_id in enumerate(ids):
        escalation = Escalation(escalation_id, job["job_id"], f"problem {n}", "tried", "act", f"2026-11-25T12:0{n}:00Z")
        table.put_item(Item=escalation_to_item(escalation))
    paged = pages("http_list_escalations.json", "escalations", 2, path={"job_id": job["job_id"]})
    assert [[e["escalation_id"] for e in page] for page in paged] == [sorted(ids)[:2], sorted(ids)[2:]]
    whole = http("http_list_escalations.json", path={"job_id": job["job_id"]}, query={})[1]
    assert [e["escalation_id"] for e in whole["escalations"]] == sorted(ids) and whole["next_after"] is None
    between = http("http_list_escalations.json", path={"job_id": job["job_id"]}, query={"after": "00000004"})[1]
    assert [e["escalation_id"] for e in between["escalations"]] == sorted(ids)[1:]  # a position, not a reference


def test_jobs_come_in_pages_newest_first(aws, emulator, clock):
    emulator.set_scenario({"turns": [FINISH]})
    mine = []
    for i in range(5):
        clock.advance(seconds=1)
        mine.append(http("http_create_job.json", body={"goal": f"goal {i}"})[1]["job_id"])
    http("http_create_job.json", sub="founder-2", body={"goal": "theirs"})
    paged = pages("http_list_jobs.json", "jobs", 2)
    assert [[j["job_id"] for j in page] for page in paged] == [mine[:2:-1], mine[2:0:-1], mine[:1]]
    first = http("http_list_jobs.json", query={"limit": "2"})[1]
    assert first["next_after"] == f"{first['jobs'][-1]['created_at']}#{first['jobs'][-1]['job_id']}"
    # `after` is a position, not a reference: any well-formed one is a page (never another founder's jobs)
    assert http("http_list_jobs.json", query={"after": "0"})[1] == {"jobs": [], "next_after": None}
    assert [j["job_id"] for j in http("http_list_jobs.json", query={"after": "z"})[1]["jobs"]] == mine[::-1]


@pytest.mark.parametrize(
    ("name", "query", "field"),
    [
        ("http_job_events.json", {"after": "10000000000"}, "after"),
        ("http_job_events.json", {"after": "9" * 40}, "after"),
        ("http_job_events.json", {"after": "1e400"}, "after"),
        ("http_job_events.json", {"limit": "0"}, "limit"),
        ("http_job_events.json", {"limit": "1001"}, "limit"),
        ("http_job_events.json", {"limit": "9" * 40}, "limit"),
        ("http_list_escalations.json", {"limit": "1001"}, "limit"),
        ("http_list_escalations.json", {"after": "x" * 101}, "after"),
        ("http_list_escalations.json", {"after": ""}, "after"),
        ("http_list_escalations.json", {"after": "a b"}, "after"),
        ("http_list_jobs.json", {"limit": "101"}, "limit"),
        ("http_list_jobs.json", {"after": "x" * 10_000}, "after"),
        ("http_list_jobs.json", {"after": ""}, "after"),
        ("http_list_jobs.json", {"after": "2026-11-25 x"}, "after"),
    ],
)
def test_out_of_range_after_and_limit_are_422_naming_the_field(job, name, query, field):
    status, answer = http(name, path={"job_id": job["job_id"]}, query=query)
    assert status == 422 and answer["fields"] == [field] and field in answer["message"]


@pytest.fixture
def no_reads(monkeypatch):
    """Any read of the store fails the test: what is answered here is answered before DynamoDB."""
    store = runtime().store

    def refuse(*args, **kwargs):
        raise AssertionError("the store was read")

    for name in ("get_job", "get_escalation", "list_escalations", "events_after", "jobs_of", "load"):
        monkeypatch.setattr(store, name, refuse)


BAD_IDS = ["x" * 101, "a" * 100_000, "ü" * 50, "a b", "-x", "\ud800", "job\u0000", "a/b"]


@pytest.mark.parametrize(
    ("name", "param", "kwargs"),
    [
        ("http_job_status.json", "job_id", {}),
        ("http_list_escalations.json", "job_id", {}),
        ("http_job_events.json", "job_id", {"query": {"after": "0"}}),
        ("http_resolve_escalation.json", "escalation_id", {"body": {"decision": "x"}}),
    ],
)
def test_ids_no_job_or_escalation_can_have_are_404_without_a_read(aws, no_reads, name, param, kwargs):
    for bad_id in BAD_IDS:
        status, answer = http(name, path={param: bad_id}, **kwargs)
        assert status == 404, bad_id
        if bad_id.isprintable() and "/" not in bad_id:  # (the others match no route at all)
            assert answer["message"].endswith(" not found."), bad_id


def test_a_long_id_is_answered_like_an_unknown_one(aws):
    unknown = http("http_job_status.json", path={"job_id": "no-such-job"})
    long = http("http_job_status.json", path={"job_id": "j" * 101})
    assert long[0] == unknown[0] == 404
    assert long[1]["message"].replace("j" * 101, "?") == unknown[1]["message"].replace("no-such-job", "?")


DEEP = [
    "[" * 100_000 + "]" * 100_000,
    '{"goal": "ok", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"goal": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"goal": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "}",
    "[" * 100_000,
]


@pytest.mark.parametrize(
    ("name", "path"), [("http_create_job.json", None), ("http_resolve_escalation.json", {"escalation_id": "e-1"})]
)
def test_deeply_nested_json_is_400_never_500(aws, name, path):
    for raw in DEEP:
        status, answer = call_http(http_event(name, path=path, raw_body=raw))
        assert status == 400 and answer["message"], raw[:30]
    assert boto3.client("dynamodb").scan(TableName=aws.ref("AgentTable"))["Count"] == 0


def test_the_openapi_document_declares_the_pages(aws):
    document = http("http_openapi.json", sub=None)[1]
    for path, params in [
        ("/api/jobs/{job_id}/events", {"after", "limit"}),
        ("/api/jobs/{job_id}/escalations", {"after", "limit"}),
        ("/api/jobs", {"after", "limit"}),
    ]:
        declared = {p["name"]: p["schema"] for p in document["paths"][path]["get"]["parameters"] if p["in"] == "query"}
        assert set(declared) == params
        assert declared["limit"]["minimum"] == 1
    events = document["paths"]["/api/jobs/{job_id}/events"]["get"]["parameters"]
    limit = next(p["schema"] for p in events if p["name"] == "limit")
    assert (limit["default"], limit["maximum"]) == (500, 1000)
    schemas = document["components"]["schemas"]
    for name in ("EventList", "EscalationList", "JobList"):
        assert "next_after" in schemas[name]["required"]
