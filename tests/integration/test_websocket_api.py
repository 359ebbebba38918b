"""The WebSocket API through its handler with events/ws_*.json; pushes go to a real local management API server."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import jwt
import pytest

from cofounder.adapters.redis_mirror import RedisMirror
from cofounder.adapters.subscriber_index import subscribers_key
from cofounder.auth import issue_token
from cofounder.bootstrap import runtime
from cofounder.config import Settings
from cofounder.domain import events
from cofounder.services.escalations import resolve
from tests.support.agent import ESCALATE, FINISH, OWNER, start, step
from tests.support.api import call_ws, ws_event


def connect(connection_id: str, token: str | None) -> int:
    return call_ws(ws_event("ws_connect.json", connection_id, token=token))["statusCode"]


def send(connection_id: str, body) -> int:
    return call_ws(ws_event("ws_subscribe.json", connection_id, body=body))["statusCode"]


@pytest.fixture
def waiting_job(aws, emulator, clock):
    rt = runtime(with_model=True)
    job = start(rt, emulator, [ESCALATE, FINISH])
    step(rt, job.job_id)
    return job


def test_connect_requires_a_valid_token(aws, token):
    assert connect("c-none", None) == 401
    assert connect("c-junk", "not.a.jwt") == 401
    assert connect("c-expired", token(now=time.time() - 86_400, ttl_s=60)) == 401
    forged = issue_token("founder-1", replace(Settings.from_env(), jwt_secret="another-secret-32-bytes-long!!!!"))
    assert connect("c-forged", forged) == 401
    assert connect("c-ok", token()) == 200
    assert runtime().connections.owner_of("c-ok") == "founder-1"
    assert runtime().connections.owner_of("c-none") is None


def test_subscribe_replays_what_was_missed_then_streams_live(waiting_job, token, management_api, aws):
    job = waiting_job
    assert connect("c1", token()) == 200
    assert send("c1", {"action": "subscribe", "job_id": job.job_id, "after": 0}) == 200
    replayed = management_api.received["c1"]
    log = runtime().store.events_after(job.job_id, 0)
    assert replayed == log  # everything, in order
    (escalation,) = runtime().store.list_escalations(job.job_id)
    resolve(runtime(), escalation.escalation_id, OWNER, "Go")
    live = management_api.received["c1"][len(log):]
    assert [e["type"] for e in live] == [events.ESCALATION_RESOLVED, events.STATE_CHANGED]
    assert [e["event_id"] for e in management_api.received["c1"]] == list(range(1, len(log) + 3))


def test_subscribe_after_an_event_id_sends_only_the_rest(waiting_job, token, management_api):
    assert connect("c1", token()) == 200
    assert send("c1", {"action": "subscribe", "job_id": waiting_job.job_id, "after": 3}) == 200
    assert management_api.received["c1"][0]["event_id"] == 4


def test_subscribing_to_another_founders_job_is_an_error_message_and_no_subscription(
    waiting_job, token, management_api
):
    assert connect("c2", token("founder-2")) == 200
    assert send("c2", {"action": "subscribe", "job_id": waiting_job.job_id}) == 200
    (reply,) = management_api.received["c2"]
    assert reply["type"] == "error" and "not found" in reply["message"]
    assert runtime().connections.subscribers(waiting_job.job_id) == []


@pytest.mark.parametrize(
    "body",
    ["not json", "[1]", {"action": "dance", "job_id": "j"}, {"action": "subscribe"},
     {"action": "subscribe", "job_id": "j", "after": -1}, {"action": "subscribe", "job_id": "j", "after": "x"}],
)
def test_bad_messages_get_an_error_and_the_connection_stays(aws, token, management_api, body):
    assert connect("c3", token()) == 200
    assert send("c3", body) == 200
    (reply,) = management_api.received["c3"]
    assert reply["type"] == "error" and reply["message"]
    assert runtime().connections.owner_of("c3") == "founder-1"


def test_unsubscribe_and_disconnect(waiting_job, token, management_api):
    job = waiting_job
    for c in ("a", "b"):
        assert connect(c, token()) == 200
        assert send(c, {"action": "subscribe", "job_id": job.job_id, "after": 10_000}) == 200
    assert sorted(runtime().connections.subscribers(job.job_id)) == ["a", "b"]
    assert send("a", {"action": "unsubscribe", "job_id": job.job_id}) == 200
    assert call_ws(ws_event("ws_disconnect.json", "b"))["statusCode"] == 200
    assert runtime().connections.subscribers(job.job_id) == []
    assert runtime().connections.owner_of("b") is None
    (escalation,) = runtime().store.list_escalations(job.job_id)
    resolve(runtime(), escalation.escalation_id, OWNER, "Go")
    assert management_api.received == {}


def test_a_gone_connection_is_removed_and_only_that_one(waiting_job, token, management_api, redis_client):
    job = waiting_job
    for c in ("alive", "gone", "also-alive"):
        assert connect(c, token()) == 200
        assert send(c, {"action": "subscribe", "job_id": job.job_id, "after": 10_000}) == 200
    management_api.gone.add("gone")
    (escalation,) = runtime().store.list_escalations(job.job_id)
    resolve(runtime(), escalation.escalation_id, OWNER, "Go")
    assert len(management_api.received["alive"]) == len(management_api.received["also-alive"]) == 2
    assert sorted(runtime().connections.subscribers(job.job_id)) == ["alive", "also-alive"]
    assert runtime().connections.owner_of("gone") is None
    assert runtime().connections.owner_of("alive") == "founder-1"
    assert "gone" not in redis_client.smembers(subscribers_key(job.job_id))



def test_a_failing_connection_never_stops_the_others_and_is_kept(waiting_job, token, management_api, caplog):
    job = waiting_job
    ids = [f"conn-{i:02d}" for i in range(12)]
    for c in ids:
        assert connect(c, token()) == 200
        assert send(c, {"action": "subscribe", "job_id": job.job_id, "after": 10_000}) == 200
    management_api.failing |= {"conn-03": 500, "conn-07": 429}
    management_api.gone |= {"conn-05"}
    (escalation,) = runtime().store.list_escalations(job.job_id)
    resolve(runtime(), escalation.escalation_id, OWNER, "Go")
    delivered = {c for c in ids if c not in ("conn-03", "conn-05", "conn-07")}
    assert set(management_api.received) == delivered
    assert all(len(management_api.received[c]) == 2 for c in delivered)
    # only the gone one is removed: a failing connection may work again and can replay what it missed
    assert sorted(runtime().connections.subscribers(job.job_id)) == sorted(set(ids) - {"conn-05"})
    assert runtime().connections.owner_of("conn-03") == runtime().connections.owner_of("conn-07") == "founder-1"
    assert any("conn-03" in r.getMessage() and "HTTP 500" in r.getMessage() for r in caplog.records)


def test_a_single_subscriber_push_survives_an_unreachable_management_api(waiting_job, token, management_api, caplog):
    job = waiting_job
    assert connect("solo", token()) == 200
    assert send("solo", {"action": "subscribe", "job_id": job.job_id, "after": 10_000}) == 200
    management_api.hang_up = True  # every request: the connection closes without an answer
    (escalation,) = runtime().store.list_escalations(job.job_id)
    resolve(runtime(), escalation.escalation_id, OWNER, "Go")  # the push fails, the resolution stands
    assert runtime().store.list_escalations(job.job_id)[0].status == "resolved"
    assert runtime().connections.subscribers(job.job_id) == ["solo"]
    assert any("solo" in r.getMessage() and "failed" in r.getMessage() for r in caplog.records)

def test_a_push_to_200_subscribers_reaches_all_of_them(waiting_job, token, management_api):
    job = waiting_job
    ids = [f"conn-{i:03d}" for i in range(200)]
    for c in ids:
        assert connect(c, token()) == 200
        assert send(c, {"action": "subscribe", "job_id": job.job_id, "after": 10_000}) == 200
    (escalation,) = runtime().store.list_escalations(job.job_id)
    resolve(runtime(), escalation.escalation_id, OWNER, "Go")
    assert sorted(management_api.received) == ids
    assert all([e["type"] for e in management_api.received[c]] ==
               [events.ESCALATION_RESOLVED, events.STATE_CHANGED] for c in ids)


def test_pushes_still_reach_subscribers_when_redis_is_down(waiting_job, token, management_api, monkeypatch):
    assert connect("c1", token()) == 200
    assert send("c1", {"action": "subscribe", "job_id": waiting_job.job_id, "after": 10_000}) == 200
    down = RedisMirror.from_url("redis://127.0.0.1:1/0")._redis
    monkeypatch.setattr(runtime().connections, "_cache", down)
    monkeypatch.setattr(runtime(), "mirror", RedisMirror(down))
    (escalation,) = runtime().store.list_escalations(waiting_job.job_id)
    resolve(runtime(), escalation.escalation_id, OWNER, "Go")
    assert len(management_api.received["c1"]) == 2


def test_the_subscriber_cache_is_filled_from_the_table_and_kept_in_step(waiting_job, token, redis_client):
    job = waiting_job
    key = subscribers_key(job.job_id)
    assert redis_client.smembers(key) == {"-"}  # the step's push cached "no subscribers"
    redis_client.delete(key)  # as if it expired
    assert connect("c1", token()) == 200
    assert send("c1", {"action": "subscribe", "job_id": job.job_id, "after": 10_000}) == 200
    assert not redis_client.exists(key)  # not cached yet: a subscribe never creates a partial set
    assert runtime().connections.subscribers(job.job_id) == ["c1"]
    assert redis_client.smembers(key) == {"-", "c1"} and 0 < redis_client.ttl(key) <= 60
    assert connect("c2", token()) == 200
    assert send("c2", {"action": "subscribe", "job_id": job.job_id, "after": 10_000}) == 200
    assert runtime().connections.subscribers(job.job_id) == ["c1", "c2"]
    assert call_ws(ws_event("ws_disconnect.json", "c1"))["statusCode"] == 200
    assert runtime().connections.subscribers(job.job_id) == ["c2"]


# -- the token check and the bounds on messages ------------------------------------------------------------------


def hs256(**claims) -> str:
    settings = Settings.from_env()
    now = int(time.time())
    body = {"sub": "founder-1", "iat": now, "exp": now + 600, "iss": settings.jwt_issuer} | claims
    return jwt.encode(body, settings.jwt_secret, algorithm="HS256")


def test_an_access_token_with_client_id_instead_of_aud_connects(aws):
    audience = Settings.from_env().jwt_audience
    assert audience  # the template's default: the check below is not vacuous
    assert connect("c-access", hs256(client_id=audience, token_use="access")) == 200
    assert runtime().connections.owner_of("c-access") == "founder-1"
    assert connect("c-other-app", hs256(client_id="another-app")) == 401
    assert connect("c-aud-wins", hs256(aud="another-app", client_id=audience)) == 401  # aud, when present, decides
    assert connect("c-no-audience", hs256()) == 401


def test_on_lambda_a_token_signed_with_the_local_secret_is_refused(aws, token, monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "cofounder-WebSocketFunction")
    monkeypatch.setenv("JWT_JWKS_URL", "http://127.0.0.1:1/jwks.json")  # nothing answers: no key, no network
    runtime.cache_clear()
    assert connect("c-lambda", token()) == 401
    assert runtime().connections.owner_of("c-lambda") is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"action": "subscribe", "job_id": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ("[" * 100_000, "nested too deeply"),
        ({"action": "subscribe", "job_id": "j", "after": 10**10}, "after"),
        ({"action": "subscribe", "job_id": "j", "after": 10**30}, "after"),
        ({"action": "subscribe", "job_id": "j", "after": True}, "after"),
        ({"action": "subscribe", "job_id": "j" * 100_000}, "not found"),
        ({"action": "subscribe", "job_id": "a/b c"}, "not found"),
        ({"action": "x" * 100_000, "job_id": "j"}, "Unknown action"),
        ({"action": {"nested": ["object"]}, "job_id": "j"}, "Unknown action"),
    ],
)
def test_out_of_bounds_messages_get_a_small_error_reply_and_no_read(aws, token, management_api, body, words):
    assert connect("c4", token()) == 200
    reads = []
    store = runtime().store
    original = store.get_job
    store.get_job = lambda *args: reads.append(args) or original(*args)
    try:
        assert send("c4", body) == 200
    finally:
        store.get_job = original
    (reply,) = management_api.received["c4"]
    assert reply["type"] == "error" and words in reply["message"]
    assert len(json.dumps(reply)) < 1_000 and reads == []
    assert runtime().connections.owner_of("c4") == "founder-1"


def test_unsubscribing_from_an_id_no_job_can_have_is_a_no_op(aws, token, management_api):
    assert connect("c5", token()) == 200
    assert send("c5", {"action": "unsubscribe", "job_id": "j" * 100_000}) == 200
    assert management_api.received == {}


def test_the_replay_is_read_and_sent_in_pages(waiting_job, token, management_api, monkeypatch):
    from cofounder.services import subscriptions

    monkeypatch.setattr(subscriptions, "REPLAY_PAGE", 2)
    store = runtime().store
    log = store.events_after(waiting_job.job_id, 0)
    assert len(log) >= 5
    reads, sends = [], []
    original_read, original_send = store.events_after, runtime().pusher.send
    monkeypatch.setattr(store, "events_after", lambda *a: reads.append(a) or original_read(*a))
    monkeypatch.setattr(runtime().pusher, "send", lambda c, m: sends.append(len(m)) or original_send(c, m))
    assert connect("c6", token()) == 200
    assert send("c6", {"action": "subscribe", "job_id": waiting_job.job_id, "after": 0}) == 200
    assert management_api.received["c6"] == log  # everything, in order, once
    assert all(limit == 2 for _, _, limit in reads) and len(reads) == len(log) // 2 + 1
    assert max(sends) == 2 and sum(sends) == len(log)
