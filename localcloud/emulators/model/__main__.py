"""python -m localcloud.emulators.model [--scenario FILE] [--host 127.0.0.1] [--port 4010]"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from localcloud.emulators.model.scenarios import DEFAULT_SCENARIO, load_scenario
from localcloud.emulators.model.server import ModelEmulator


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fake Anthropic Messages API serving a scripted scenario")
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO, help="scenario JSON file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4010)
    args = parser.parse_args(argv)

    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with ModelEmulator(load_scenario(args.scenario), host=args.host, port=args.port) as emulator:
        print(f"model emulator listening on {emulator.url} (scenario {args.scenario})", flush=True)
        while not stopping.wait(0.5):
            pass
    print("model emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
