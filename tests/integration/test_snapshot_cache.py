"""The per-container conversation cache never serves a stale conversation: other containers, founders' answers
and failed commits all make the next load read the table again."""

from __future__ import annotations

import dataclasses

import pytest

from cofounder.adapters.dynamo_store import DynamoStore
from cofounder.bootstrap import build_runtime
from cofounder.config import Settings
from cofounder.errors import ConcurrentUpdate
from cofounder.ports import Commit
from cofounder.services.escalations import resolve
from cofounder.services.step import run_step
from tests.support.agent import ESCALATE, FINISH, note, start


def fresh_store() -> DynamoStore:
    return build_runtime(Settings.from_env()).store


def assert_current(store: DynamoStore, job_id: str) -> None:
    """What this store loads is what a store that never cached anything loads."""
    assert store.load(job_id) == fresh_store().load(job_id)


def test_two_containers_stepping_one_job_each_see_the_whole_conversation(rt, emulator, clock):
    job = start(rt, emulator, [note(0), note(1), note(2), note(3), ESCALATE, FINISH])
    other = dataclasses.replace(rt, store=fresh_store())  # a second warm container
    for step, container in enumerate([rt, other, other, rt, rt]):
        assert_current(container.store, job.job_id)
        run_step(container, job.job_id, step)
    snapshot = rt.store.load(job.job_id)
    assert snapshot.job.state == "waiting_for_input"
    assert set(snapshot.notes) == {"k0", "k1", "k2", "k3"}
    assert [m.seq for m in snapshot.messages] == list(range(snapshot.job.message_count))

    (escalation,) = rt.store.list_escalations(job.job_id)
    resolve(other, escalation.escalation_id, "founder-1", "Go ahead", None)  # written by the other container
    assert_current(rt.store, job.job_id)
    assert rt.store.load(job.job_id).job.state == "working"
    run_step(rt, job.job_id, 5)
    assert rt.store.load(job.job_id).job.state == "completed"
    assert_current(other.store, job.job_id)


def test_a_failed_commit_forgets_the_cached_conversation(rt, emulator, clock):
    job = start(rt, emulator, [note(0), FINISH])
    snapshot = rt.store.load(job.job_id)
    stale = Commit(job=snapshot.job.evolve(version=snapshot.job.version + 1), expected_version=snapshot.job.version - 1)
    with pytest.raises(ConcurrentUpdate):
        rt.store.commit(stale)
    assert rt.store._snapshots.get(job.job_id) is None
    assert_current(rt.store, job.job_id)
