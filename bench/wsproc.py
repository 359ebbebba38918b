"""The benchmark side of `bench.ws_clients`: start it, command it, and wait on what its connections receive."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bench.common import PY, ROOT


class ClientProcess:
    def __init__(self, url: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [PY, "-m", "bench.ws_clients", url], cwd=ROOT, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=1,
        )
        self._changed = threading.Condition()
        self.control: list[dict[str, Any]] = []
        self.by_conn: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.by_mark: dict[str, list[tuple[int, int]]] = defaultdict(list)
        """Benchmark events (those with a "bench" mark): mark -> [(connection index, receive ns)]."""
        self._reader = threading.Thread(target=self._read, name="ws-clients-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            record = json.loads(line)
            with self._changed:
                if record["op"] == "msg":
                    message = record["m"]
                    self.by_conn[record["c"]].append(message)
                    mark = message.get("bench") if isinstance(message, dict) else None
                    if mark is not None:
                        self.by_mark[mark].append((record["c"], record["t"]))
                else:
                    self.control.append(record)
                self._changed.notify_all()
        with self._changed:
            self.control.append({"op": "exited"})
            self._changed.notify_all()

    def _send(self, command: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0 or any(c["op"] == "exited" for c in self.control):
                    raise TimeoutError(f"WebSocket clients: {what} not within {timeout:.0f} s")
                self._changed.wait(min(left, 1.0))

    def _control(self, op: str, timeout: float) -> dict[str, Any]:
        self.wait(lambda: any(c["op"] == op for c in self.control), timeout, op)
        with self._changed:
            found = next(c for c in self.control if c["op"] == op)
            self.control.remove(found)
            return found

    def open(self, tokens: list[str], timeout: float = 300) -> None:
        self._send({"op": "open", "tokens": tokens})
        answer = self._control("opened", timeout)
        if answer["failed"]:
            raise RuntimeError(f"{len(answer['failed'])} of {len(tokens)} WebSocket connections failed to open")

    def subscribe(self, subs: list[tuple[int, str, int]], timeout: float = 300) -> None:
        self._send({"op": "subscribe", "subs": [list(s) for s in subs]})
        self._control("sent", timeout)

    def received(self, conn: int) -> list[dict[str, Any]]:
        with self._changed:
            return list(self.by_conn.get(conn, []))

    def marks(self, mark: str) -> list[tuple[int, int]]:
        with self._changed:
            return list(self.by_mark.get(mark, []))

    def close(self) -> None:
        try:
            self._send({"op": "quit"})
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)

    def __enter__(self) -> ClientProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
