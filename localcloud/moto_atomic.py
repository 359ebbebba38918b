"""Make moto's DynamoDB behave like the real service under concurrency: one write at a time.

Real DynamoDB applies a conditional update or a transaction atomically per item; moto's in-memory
backend does not under thread contention (a conditional ADD can over-commit). Budget-race tests and the
local cloud serialize moto's DynamoDB operations so that they measure the product, not the emulator.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

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


def serialize_dynamodb() -> None:
    """Idempotent: wraps each backend operation once with a process-wide lock."""
    for name in _OPERATIONS:
        original = getattr(DynamoDBBackend, name, None)
        if original is None or getattr(original, "_serialized", False):
            continue

        def locked(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _LOCK:
                return __original(*args, **kwargs)

        functools.update_wrapper(locked, original)
        locked._serialized = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, locked)
