"""The ports a service needs, bundled; built from the environment by `bootstrap`, from fakes by the tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from cofounder.config import Settings
from cofounder.ports import ConnectionRegistry, Mirror, Model, Pusher, StepJournal, StepQueue, Store, WakeScheduler
from cofounder.tools import ToolRegistry, registry


@dataclass
class Runtime:
    settings: Settings
    store: Store
    journal: StepJournal
    mirror: Mirror
    queue: StepQueue
    scheduler: WakeScheduler
    pusher: Pusher
    model: Model | None = None
    connections: ConnectionRegistry | None = None
    tools: ToolRegistry = field(default_factory=lambda: registry)
