"""The ports a service needs, bundled; built from the environment by `bootstrap`, from fakes by the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cofounder.config import Settings
from cofounder.ports import ConnectionRegistry, Mirror, Model, Pusher, StepJournal, StepQueue, Store, WakeScheduler

if TYPE_CHECKING:
    from cofounder.tools import ToolRegistry


def _the_registry() -> ToolRegistry:
    from cofounder.tools import registry  # only the functions that run tools pay for building them

    return registry


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
    tools: ToolRegistry = field(default_factory=_the_registry)
