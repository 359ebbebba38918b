"""The I/O a plain step makes: the budget is 5 AWS calls (4 + the step journal) and at most 2 Redis round trips."""

from __future__ import annotations

from collections import Counter

import pytest
import redis

from cofounder.bootstrap import build_runtime
from cofounder.config import Settings
from cofounder.services.step import run_step
from tests.support.agent import FINISH, note, start, step


@pytest.mark.parametrize(
    ("container", "read"),
    [("same", "GetItem"), ("another", "Query")],  # warm: the job item proves its cached conversation current
)
def test_a_plain_step_makes_five_aws_calls_and_one_redis_round_trip(rt, emulator, clock, monkeypatch, container,
                                                                     read):
    job = start(rt, emulator, [note(0), note(1), FINISH])
    step(rt, job.job_id)  # warm: the first step of a container also builds clients
    if container == "another":
        rt.store = build_runtime(Settings.from_env()).store  # a container that never saw this job

    calls: Counter[str] = Counter()
    clients = [rt.store._db, rt.journal._db, rt.store._blobs._s3, rt.queue._sqs, rt.scheduler._scheduler]
    for client in {id(c): c for c in clients}.values():
        client.meta.events.register("before-call.*.*", lambda model, **_: calls.update([model.name]))
    sent = Counter()
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent["round_trips"] += 1
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)

    run_step(rt, job.job_id, 1)
    assert calls == Counter({read: 1, "UpdateItem": 1, "PutItem": 1, "TransactWriteItems": 1, "SendMessage": 1})
    assert sent["round_trips"] == 1
