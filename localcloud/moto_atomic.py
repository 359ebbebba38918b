"""Make moto behave like the real services under concurrency.

Real DynamoDB applies a conditional update or a transaction atomically per item; moto's in-memory
backend does not under thread contention (a conditional ADD can over-commit). Budget-race tests and the
local cloud serialize moto's DynamoDB operations so that they measure the product, not the emulator.
moto's SQS backend is not thread-safe either: the local cloud serializes it too, and gets a signal when
a message may have become receivable (so its pollers need no busy waiting).
"""

from __future__ import annotations

import copy
import functools
import threading
from typing import Any

import moto.dynamodb.models as moto_dynamodb
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
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


class _TablesNotCopied:
    """moto backs up every table a transaction touches with a deepcopy, so each commit costs time in
    proportion to the whole table and the copies are never freed (moto tracks every model instance):
    a long local session grew by ~1 GB per 100 steps. Tables pass through uncopied here; the touched
    items are backed up and restored instead (see _with_item_backups)."""

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _touched_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple]:
    touched = []
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        key = op.get("Key") or op.get("Item") or {}
        if table is None or table.hash_key_attr not in key:
            continue
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.has_range_key else None
        if table.has_range_key and table.range_key_attr not in key:
            continue
        touched.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
    return touched


def _restore(touched: list[tuple]) -> None:
    for table, hash_value, range_value, before in reversed(touched):
        if before is None:
            table.delete_item(hash_value, range_value)
        elif range_value is not None:
            table.items[hash_value][range_value] = before
        else:
            table.items[hash_value] = before


def _with_item_backups(original: Any) -> Any:
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        touched = _touched_items(self, transact_items)
        try:
            return original(self, transact_items)
        except Exception:
            _restore(touched)  # all or nothing, as moto's own (whole-table) rollback did
            raise

    functools.update_wrapper(transact_write_items, original)
    return transact_write_items


def serialize_dynamodb() -> None:
    """Idempotent: wraps each backend operation once with a process-wide lock, and makes transactions
    back up only the items they touch."""
    if not getattr(DynamoDBBackend.transact_write_items, "_item_backups", False):
        patched = _with_item_backups(DynamoDBBackend.transact_write_items)
        patched._item_backups = True  # type: ignore[attr-defined]
        DynamoDBBackend.transact_write_items = patched  # type: ignore[method-assign]
        moto_dynamodb.copy = _TablesNotCopied()  # type: ignore[attr-defined]
    _wrap(DynamoDBBackend, _OPERATIONS, _LOCK)


def _notify_sqs() -> None:
    with SQS_ACTIVITY:
        SQS_ACTIVITY.notify_all()


def serialize_sqs() -> None:
    """Idempotent. Receives must then use WaitTimeSeconds=0 (a long poll would hold the lock)."""
    _wrap(SQSBackend, _SQS_OPERATIONS, _SQS_LOCK, _notify_sqs)
