"""An aiohttp application served on a thread of its own (with its own event loop), for synchronous callers."""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from types import TracebackType
from typing import Any, Self

from aiohttp import web

log = logging.getLogger(__name__)


class AioServer:
    """`start()` returns once the port listens (or raises why it cannot); `stop()` runs aiohttp's graceful
    shutdown (stop listening, the app's `on_shutdown`, wait up to `shutdown_timeout` for running handlers,
    cancel the rest, `on_cleanup`) and joins the thread."""

    def __init__(
        self,
        app: web.Application,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "aiohttp",
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
        shutdown_timeout: float = 15.0,
        keepalive_timeout: float = 60.0,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.name = name
        self.scheme = "https" if ssl_context is not None else "http"
        self._ssl_context = ssl_context
        self._backlog = backlog
        self.shutdown_timeout = shutdown_timeout
        self._keepalive_timeout = keepalive_timeout
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} already started")
        self._ready.clear()
        self._startup_error = None
        self._thread = threading.Thread(target=self._run, name=f"{self.name}-{self.port}", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            raise self._startup_error
        return self

    def stop(self) -> None:
        thread, loop, requested = self._thread, self.loop, self._stop_requested
        if thread is None:
            return
        if loop is not None and requested is not None and not loop.is_closed():
            loop.call_soon_threadsafe(requested.set)
        thread.join(self.shutdown_timeout + 5)
        self._thread = None

    def submit(self, coro: Coroutine[Any, Any, Any]) -> Future[Any]:
        """Run a coroutine on the server's loop from another thread."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:
            if not self._ready.is_set():
                self._startup_error = exc
            else:
                log.exception("%s: event loop failed", self.name)
        finally:
            self._ready.set()
            loop.close()

    async def _serve(self) -> None:
        self._stop_requested = asyncio.Event()
        runner = web.AppRunner(
            self.app,
            access_log=None,
            shutdown_timeout=self.shutdown_timeout,
            keepalive_timeout=self._keepalive_timeout,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port, ssl_context=self._ssl_context, backlog=self._backlog)
            await site.start()
            self.port = runner.addresses[0][1]
            self._ready.set()
            await self._stop_requested.wait()
        finally:
            await runner.cleanup()
