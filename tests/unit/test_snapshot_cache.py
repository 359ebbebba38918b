"""SnapshotCache: follows commits of the cached version, forgets any other, keeps the most recent jobs."""

from __future__ import annotations

from cofounder.adapters.snapshot_cache import SnapshotCache
from cofounder.domain.job import Job, JobSnapshot, Message
from cofounder.ports import Commit


def job(job_id: str = "j1", version: int = 1) -> Job:
    return Job(job_id=job_id, session_id="s", owner_id="o", goal="g", model="claude-haiku-4-5",
               daily_budget_usd=1, created_at="2026-11-30T00:00:00+00:00", version=version)


def msg(seq: int) -> Message:
    return Message(seq, "user", ({"type": "text", "text": str(seq)},))


def test_a_commit_of_the_cached_version_extends_it():
    cache = SnapshotCache()
    cache.keep(JobSnapshot(job(version=1), [msg(0)], {"a": "1"}))
    cache.committed(Commit(job=job(version=2), expected_version=1, messages=[msg(1), msg(2)], notes={"b": "2"}))
    cached = cache.get("j1")
    assert cached.job.version == 2
    assert [m.seq for m in cached.messages] == [0, 1, 2] and cached.notes == {"a": "1", "b": "2"}


def test_a_commit_of_another_version_forgets_it():
    cache = SnapshotCache()
    cache.keep(JobSnapshot(job(version=1), [msg(0)]))
    cache.committed(Commit(job=job(version=4), expected_version=3, messages=[msg(5)]))
    assert cache.get("j1") is None


def test_creating_a_job_caches_its_first_message():
    cache = SnapshotCache()
    cache.committed(Commit(job=job(version=1), expected_version=None, messages=[msg(0)]))
    assert [m.seq for m in cache.get("j1").messages] == [0]


def test_what_it_hands_out_is_a_copy():
    cache = SnapshotCache()
    cache.keep(JobSnapshot(job(), [msg(0)], {"a": "1"}))
    handed = cache.get("j1")
    handed.messages.append(msg(1))
    handed.notes["b"] = "2"
    assert len(cache.get("j1").messages) == 1 and cache.get("j1").notes == {"a": "1"}


def test_least_recently_used_jobs_go_first():
    cache = SnapshotCache(size=2)
    cache.keep(JobSnapshot(job("a")))
    cache.keep(JobSnapshot(job("b")))
    cache.get("a")  # used: b is now the oldest
    cache.keep(JobSnapshot(job("c")))
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
