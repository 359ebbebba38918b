"""Which Redis the local cloud uses: REDIS_URL if it answers, else a local redis-server, else fakeredis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, ValueError):
        return False


@dataclass
class ChosenRedis:
    url: str
    kind: str
    """'REDIS_URL', 'redis-server' or 'fakeredis'."""
    _stop: Any = field(default=None, repr=False)

    def describe(self) -> str:
        return {
            "REDIS_URL": f"Redis from REDIS_URL ({self.url})",
            "redis-server": f"a local redis-server started on {self.url}",
            "fakeredis": f"an embedded fakeredis server on {self.url}",
        }[self.kind]

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()
            self._stop = None


def choose(redis_url: str | None) -> ChosenRedis:
    if redis_url and answers(redis_url):
        return ChosenRedis(redis_url, "REDIS_URL")
    binary = shutil.which("redis-server")
    if binary:
        port = free_port()
        workdir = tempfile.mkdtemp(prefix="localcloud-redis-")
        process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        for _ in range(100):
            if answers(url):
                return ChosenRedis(url, "redis-server", lambda: (process.terminate(), process.wait(5)))
            time.sleep(0.05)
        process.kill()
    return _fakeredis()


def _fakeredis() -> ChosenRedis:
    from fakeredis import TcpFakeServer

    class NoDelayServer(TcpFakeServer):
        def server_bind(self) -> None:
            super().server_bind()
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def get_request(self) -> tuple[socket.socket, Any]:
            conn, address = super().get_request()
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # else each pipeline costs ~40 ms
            return conn, address

    server = NoDelayServer(("127.0.0.1", free_port()))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="fakeredis", daemon=True)
    thread.start()
    host, port = server.server_address[:2]

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return ChosenRedis(f"redis://{host}:{port}/0", "fakeredis", stop)
