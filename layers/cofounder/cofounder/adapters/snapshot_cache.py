"""The conversations this container last read or wrote, kept to spare the next step of the same job its Query.

A job's messages and notes only change in a commit that also bumps its version (a conditional write), so a
consistent read of the job item showing the cached version proves the cached conversation current: the step
then reads one item instead of the whole conversation. Any other version, and the cache is simply not used.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from cofounder.domain.job import JobSnapshot
from cofounder.ports import Commit

DEFAULT_SIZE = 32
"""Jobs kept per container (least recently used first out): a warm container mostly steps the same few jobs."""


class SnapshotCache:
    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._snapshots: OrderedDict[str, JobSnapshot] = OrderedDict()
        self._lock = threading.Lock()  # the local cloud runs handlers on threads

    def get(self, job_id: str) -> JobSnapshot | None:
        """The cached snapshot (its lists are copies), or None."""
        with self._lock:
            cached = self._snapshots.get(job_id)
            if cached is None:
                return None
            self._snapshots.move_to_end(job_id)
        return JobSnapshot(cached.job, list(cached.messages), dict(cached.notes))

    def keep(self, snapshot: JobSnapshot) -> None:
        kept = JobSnapshot(snapshot.job, list(snapshot.messages), dict(snapshot.notes))
        with self._lock:
            self._snapshots[snapshot.job.job_id] = kept
            self._snapshots.move_to_end(snapshot.job.job_id)
            while len(self._snapshots) > self._size:
                self._snapshots.popitem(last=False)

    def committed(self, commit: Commit) -> None:
        """After a successful commit: the cached conversation moves on with it, or is forgotten."""
        job_id = commit.job.job_id
        with self._lock:
            before = self._snapshots.get(job_id)
        if commit.expected_version is None:
            self.keep(JobSnapshot(commit.job, list(commit.messages), dict(commit.notes)))
        elif before is not None and before.job.version == commit.expected_version:
            self.keep(JobSnapshot(commit.job, [*before.messages, *commit.messages], before.notes | commit.notes))
        else:
            self.forget(job_id)

    def forget(self, job_id: str) -> None:
        with self._lock:
            self._snapshots.pop(job_id, None)
