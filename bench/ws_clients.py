"""WebSocket clients in their own process (browsers are not in the server's process either).

`python -m bench.ws_clients URL`, driven by JSON lines on stdin:

- `{"op": "open", "tokens": [...]}`: one connection per token (index = position); answers
  `{"op": "opened", "n": N, "failed": [indexes]}`.
- `{"op": "subscribe", "subs": [[index, job_id, after], ...]}`: sends the subscribe messages; answers
  `{"op": "sent"}`.
- `{"op": "quit"}`: closes every connection and exits.

Every message a connection receives is reported as `{"op": "msg", "c": index, "t": monotonic_ns, "m": message}`
(the receive time is taken first; CLOCK_MONOTONIC is the same clock in every process of the machine).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import threading
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

OPEN_PARALLEL = 32


class Clients:
    def __init__(self, url: str) -> None:
        self.url = url
        self.connections: dict[int, ClientConnection] = {}
        self.readers: list[asyncio.Task[Any]] = []
        self._out: list[str] = []
        self._flush_scheduled = False

    def emit(self, record: dict[str, Any]) -> None:
        self._out.append(json.dumps(record, separators=(",", ":")))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._out:
            sys.stdout.write("\n".join(self._out) + "\n")
            sys.stdout.flush()
            self._out.clear()

    async def _read(self, index: int, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                received = time.monotonic_ns()
                self.emit({"op": "msg", "c": index, "t": received, "m": json.loads(raw)})
        except Exception:
            pass

    async def open(self, tokens: list[str]) -> None:
        gate = asyncio.Semaphore(OPEN_PARALLEL)
        failed: list[int] = []
        base = len(self.connections)

        async def one(i: int, token: str) -> None:
            async with gate:
                try:
                    ws = await connect(f"{self.url}?token={token}", open_timeout=60, max_queue=None,
                                       ping_interval=None, compression=None)
                except Exception:
                    failed.append(i)
                    return
                self.connections[i] = ws
                self.readers.append(asyncio.create_task(self._read(i, ws)))

        await asyncio.gather(*(one(base + i, t) for i, t in enumerate(tokens)))
        self.emit({"op": "opened", "n": len(self.connections), "failed": sorted(failed)})

    async def subscribe(self, subs: list[list[Any]]) -> None:
        for index, job_id, after in subs:
            await self.connections[index].send(json.dumps({"action": "subscribe", "job_id": job_id, "after": after}))
        self.emit({"op": "sent"})

    async def quit(self) -> None:
        await asyncio.gather(*(ws.close() for ws in self.connections.values()), return_exceptions=True)
        for task in self.readers:
            task.cancel()
        self._flush()


async def main(url: str) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (8192 if hard == resource.RLIM_INFINITY else min(8192, hard), hard))
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    def read_stdin() -> None:
        for line in sys.stdin:
            if line.strip():
                loop.call_soon_threadsafe(commands.put_nowait, json.loads(line))
        loop.call_soon_threadsafe(commands.put_nowait, None)

    threading.Thread(target=read_stdin, daemon=True).start()
    clients = Clients(url)
    while True:
        command = await commands.get()
        if command is None or command["op"] == "quit":
            await clients.quit()
            return
        if command["op"] == "open":
            await clients.open(command["tokens"])
        elif command["op"] == "subscribe":
            await clients.subscribe(command["subs"])


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
