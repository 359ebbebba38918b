"""The local cloud's management API (`localcloud.gateways.management_api`) for tests that have no WebSocket clients.

It runs on a port of its own over connections that are all open and keep what is posted to them; everything else
(the SigV4 check with botocore's signer, the injected faults, the request log) is the local cloud's own.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections import defaultdict
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

from localcloud.gateways.aio_server import AioServer
from localcloud.gateways.management_api import ConnectionInfo, ManagementApi, Recorded


class RecordingConnections:
    """Every connection id is open; `received[id]` holds what was posted to it, in order (JSON decoded)."""

    def __init__(self) -> None:
        self.received: dict[str, list[Any]] = defaultdict(list)
        self._lock = threading.Lock()

    def info(self, connection_id: str) -> ConnectionInfo | None:
        return ConnectionInfo(0, 0, "127.0.0.1", "tests")

    async def send(self, connection_id: str, data: bytes) -> bool:
        try:
            message: Any = json.loads(data)
        except ValueError:
            message = data
        with self._lock:
            self.received[connection_id].append(message)
        return True

    async def close(self, connection_id: str) -> bool:
        return True

    def clear(self) -> None:
        with self._lock:
            self.received.clear()


class ServedManagementApi:
    """The management API on 127.0.0.1 (https with `tls`). Faults: `gone` (ids answered 410), `failing` (id ->
    status), `hang_up` (close every connection without an answer)."""

    def __init__(
        self,
        secret_keys: Mapping[str, str] | None = None,
        *,
        region: str = "us-east-1",
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.connections = RecordingConnections()
        self.api = ManagementApi(self.connections, region=region, secret_keys=secret_keys or {}, keep_requests=100_000)
        self._server = AioServer(self.api.app(), name="management-api", ssl_context=tls)

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def reset(self, secret_keys: Mapping[str, str] | None = None) -> None:
        """Forget what was received and the faults; `secret_keys` replaces the credentials whose signatures verify."""
        self.api.reset(secret_keys)
        self.connections.clear()

    @property
    def received(self) -> dict[str, list[Any]]:
        return self.connections.received

    @property
    def gone(self) -> set[str]:
        return self.api.gone

    @gone.setter
    def gone(self, value: set[str]) -> None:  # `served.gone |= {...}` assigns the attribute
        self.api.gone = value

    @property
    def failing(self) -> dict[str, int]:
        return self.api.failing

    @failing.setter
    def failing(self, value: dict[str, int]) -> None:
        self.api.failing = value

    @property
    def hang_up(self) -> bool:
        return self.api.hang_up

    @hang_up.setter
    def hang_up(self, value: bool) -> None:
        self.api.hang_up = value

    @property
    def requests(self) -> list[Recorded]:
        return self.api.requests

    def bodies(self, connection_id: str) -> list[bytes]:
        return self.api.bodies(connection_id)

    def signature_errors(self) -> list[str]:
        return self.api.signature_errors()
