"""Make moto behave like the real services under concurrency.

Real DynamoDB applies a conditional update or a transaction atomically per item; moto's in-memory
backend does not under thread contention (a conditional ADD can over-commit). Budget-race tests and the
local cloud serialize moto's DynamoDB operations so that they measure the product, not the emulator.
moto's SQS backend is not thread-safe either: the local cloud serializes it too, and gets a signal when
a message may have become receivable (so its pollers need no busy waiting).
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.sqs.models import SQSBackend

_LOCK = threading.RLock()
_OPERATIONS = (
    "put_item",
    "get_item",
    "query",
    "scan",
    "update_item",
    "delete_item",
    "transact_write_items",
    "transact_get_items",
    "batch_write_item",
    "batch_get_item",
)


_SQS_LOCK = threading.RLock()
_SQS_OPERATIONS = (
    "send_message",
    "send_message_batch",
    "receive_message",
    "delete_message",
    "delete_message_batch",
    "change_message_visibility",
    "change_message_visibility_batch",
    "purge_queue",
)
SQS_ACTIVITY = threading.Condition()
"""Notified after every SQS write: a waiting poller looks again (see localcloud.event_sources)."""


def _wrap(backend: type, names: tuple[str, ...], lock: Any, after: Any = None) -> None:
    for name in names:
        original = getattr(backend, name, None)
        if original is None or getattr(original, "_serialized", False):
            continue

        def locked(*args: Any, __original: Any = original, __name: str = name, **kwargs: Any) -> Any:
            with lock:
                result = __original(*args, **kwargs)
            if after is not None and __name != "receive_message":
                after()
            return result

        functools.update_wrapper(locked, original)
        locked._serialized = True  # type: ignore[attr-defined]
        setattr(backend, name, locked)


def serialize_dynamodb() -> None:
    """Idempotent: wraps each backend operation once with a process-wide lock."""
    _wrap(DynamoDBBackend, _OPERATIONS, _LOCK)


def _notify_sqs() -> None:
    with SQS_ACTIVITY:
        SQS_ACTIVITY.notify_all()


def serialize_sqs() -> None:
    """Idempotent. Receives must then use WaitTimeSeconds=0 (a long poll would hold the lock)."""
    _wrap(SQSBackend, _SQS_OPERATIONS, _SQS_LOCK, _notify_sqs)
