"""The ports a service needs, bundled; built from the environment by the handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cofounder.adapters.dynamo_connections import DynamoConnections
from cofounder.adapters.subscriber_index import SubscriberIndex
from cofounder.config import Settings
from cofounder.domain.job import Job, new_event
from cofounder.ports import Mirror, Model, Pusher, StepQueue, Store, WakeScheduler
from cofounder.tools import ToolRegistry, registry


@dataclass
class Runtime:
    settings: Settings
    store: Store
    mirror: Mirror
    queue: StepQueue
    scheduler: WakeScheduler
    pusher: Pusher
    model: Model | None = None
    connections: DynamoConnections | None = None
    subscribers: SubscriberIndex | None = None
    tools: ToolRegistry = field(default_factory=lambda: registry)


class EventBatch:
    """Numbers a commit's events after the job's last event id."""

    def __init__(self, job: Job, at: datetime) -> None:
        self._job = job
        self._at = at
        self.items: list[dict[str, Any]] = []

    def add(self, event_type: str, **payload: Any) -> None:
        self.items.append(new_event(self._job, len(self.items) + 1, event_type, self._at, **payload))

    @property
    def last_event_id(self) -> int:
        return self._job.last_event_id + len(self.items)
