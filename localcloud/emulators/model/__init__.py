"""The model emulator: a fake Anthropic Messages API serving scripted scenarios.

- :mod:`.scenarios`: the scenario format and which turn answers which request
- :mod:`.tokens`, :mod:`.prompt_cache`: what a request costs, billed like the API (prompt caching included)
- :mod:`.streaming`: a message as server-sent events
- :mod:`.protocol`: request checks and error answers
- :mod:`.responder`: the emulator's state and replies
- :mod:`.server`: :class:`ModelEmulator`, the whole on a local port (``python -m localcloud.emulators.model``)
"""

from localcloud.emulators.model.scenarios import DEFAULT_SCENARIO, load_scenario
from localcloud.emulators.model.server import ModelEmulator

__all__ = ["DEFAULT_SCENARIO", "ModelEmulator", "load_scenario"]
