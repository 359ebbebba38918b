"""Fault injection for the local cloud's AWS: the next n calls to an operation fail as AWS would fail them.

``POST /_local/faults {"service", "operation", "status"?, "retryable"?, "times"}`` adds a fault, ``GET`` lists the
active ones (with what remains of them), ``DELETE`` clears them. A fault is used once per matching request, retries
included: a retryable fault with ``times`` 2 costs a client with botocore's retries two failed attempts and then
succeeds; ``"retryable": false`` answers an error botocore raises at once. Faults on one operation are used in
the order they were added; a used-up fault is gone from the list.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from localcloud.emulators.faults_errors import choose_error
from localcloud.emulators.faults_operations import SERVICES, operation_names

__all__ = ["PATH", "Fault", "FaultRegistry", "FaultRequestError", "answer", "http_routes", "parse_fault"]

log = logging.getLogger(__name__)

PATH = "/_local/faults"
MAX_TIMES = 10_000
_FIELDS = frozenset({"service", "operation", "status", "retryable", "times"})


@dataclass
class Fault:
    id: str
    service: str
    operation: str
    status: int
    code: str
    retryable: bool
    times: int
    remaining: int

    def public(self) -> dict[str, Any]:
        return asdict(self)


class FaultRequestError(ValueError):
    def __init__(self, message: str, fields: list[str]) -> None:
        super().__init__(message)
        self.fields = fields


def parse_fault(body: bytes | None) -> tuple[str, str, int, int | None, bool | None]:
    """(service, operation, times, status, retryable) from a POST body; FaultRequestError names what is wrong."""
    try:
        spec = json.loads(body or b"")
    except ValueError:
        raise FaultRequestError('The body must be JSON: {"service", "operation", "times"}.', []) from None
    if not isinstance(spec, dict):
        raise FaultRequestError("The body must be a JSON object.", [])
    if unknown := sorted(set(spec) - _FIELDS):
        raise FaultRequestError(f"Unknown fields: {', '.join(unknown)}.", unknown)
    service, operation, times = spec.get("service"), spec.get("operation"), spec.get("times")
    status, retryable = spec.get("status"), spec.get("retryable")
    if service not in SERVICES:
        raise FaultRequestError(f"service must be one of {', '.join(SERVICES)}.", ["service"])
    if not isinstance(operation, str) or operation not in operation_names(service):
        raise FaultRequestError(
            f"operation must be an API operation of {service}, e.g. {_example(service)}.", ["operation"]
        )
    if not _is_int(times) or not 1 <= times <= MAX_TIMES:
        raise FaultRequestError(f"times must be an integer from 1 to {MAX_TIMES}.", ["times"])
    if status is not None and (not _is_int(status) or not 400 <= status <= 599):
        raise FaultRequestError("status must be an HTTP error status from 400 to 599.", ["status"])
    if retryable is not None and not isinstance(retryable, bool):
        raise FaultRequestError("retryable must be true or false.", ["retryable"])
    return service, operation, times, status, retryable


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _example(service: str) -> str:
    return {"sqs": "SendMessage", "dynamodb": "GetItem", "s3": "PutObject", "scheduler": "CreateSchedule"}.get(
        service, "Invoke"
    )


class FaultRegistry:
    """The active faults; safe to use from the AWS server's request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self.services: frozenset[str] = frozenset()  # read without the lock: the services that have a fault

    def add(
        self, service: str, operation: str, times: int, status: int | None = None, retryable: bool | None = None
    ) -> Fault:
        """ValueError when botocore could not treat the status as `retryable` says."""
        status, code, retryable = choose_error(service, status, retryable)
        with self._lock:
            fault = Fault(f"fault-{next(self._ids)}", service, operation, status, code, retryable, times, times)
            self._faults.append(fault)
            self._changed()
        return Fault(**asdict(fault))

    def take(self, service: str, operation: str) -> Fault | None:
        """The fault the next `service` `operation` request fails with (using it once), or None."""
        if service not in self.services:
            return None
        with self._lock:
            for fault in self._faults:
                if fault.service == service and fault.operation == operation:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                        self._changed()
                    used = Fault(**asdict(fault))
                    break
            else:
                return None
        log.info("injected %s %s on %s %s (%d left)", used.status, used.code, service, operation, used.remaining)
        return used

    def active(self) -> list[Fault]:
        with self._lock:
            return [Fault(**asdict(fault)) for fault in self._faults]

    def clear(self) -> int:
        with self._lock:
            cleared = len(self._faults)
            self._faults.clear()
            self._changed()
        return cleared

    def _changed(self) -> None:
        self.services = frozenset(fault.service for fault in self._faults)


_JSON = {"content-type": "application/json", "cache-control": "no-store"}


def answer(registry: FaultRegistry, method: str, body: bytes | None) -> tuple[int, dict[str, str], bytes]:
    """The fault API: (status, headers, body) for `method` on `PATH`."""
    method = method.upper()
    if method == "GET":
        return _reply(200, {"faults": [fault.public() for fault in registry.active()]})
    if method == "DELETE":
        return _reply(200, {"cleared": registry.clear()})
    if method != "POST":
        return 405, {**_JSON, "allow": "GET, POST, DELETE"}, b'{"message": "Use GET, POST or DELETE."}'
    try:
        service, operation, times, status, retryable = parse_fault(body)
        fault = registry.add(service, operation, times, status, retryable)
    except FaultRequestError as problem:
        return _reply(400 if not problem.fields else 422, {"message": str(problem), "fields": problem.fields})
    except ValueError as problem:
        return _reply(422, {"message": f"{problem}.", "fields": ["status", "retryable"]})
    return _reply(201, fault.public())


def _reply(status: int, payload: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return status, dict(_JSON), json.dumps(payload).encode()


class _HasBody(Protocol):
    body: bytes


Route = Callable[[_HasBody], tuple[int, dict[str, str], bytes]]


def http_routes(registry: FaultRegistry) -> dict[tuple[str, str], Route]:
    """The fault API as the HTTP gateway's ``extra_routes`` (so that it also answers on the HTTP API's port)."""

    def route(method: str) -> Route:
        return lambda request: answer(registry, method, request.body)

    return {(method, PATH): route(method) for method in ("GET", "POST", "DELETE")}
