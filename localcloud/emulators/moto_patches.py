"""Every change the local cloud makes to moto, in one place, for the one moto version they were checked against.

moto is the local cloud's AWS; where it behaves unlike the real services in a way the product's tests or
benchmarks would measure, it is patched here, and nowhere else. Each patch reaches into moto's internals, so
each one refuses to apply to another moto than `TESTED_MOTO` (pinned in requirements-dev.txt): after an upgrade,
re-check each patch against the new release (is it still needed? does it still fit?) with its test in
`tests/localcloud/test_moto_patches.py`, then move `TESTED_MOTO`.

- `serialize_dynamodb`: real DynamoDB applies a conditional update or a transaction atomically per item;
  moto's in-memory backend does not under thread contention (a conditional ADD can over-commit). Its
  operations are serialized so that budget races measure the product, not the emulator. Transactions back up
  only the items they touch (moto deep-copies every table a transaction touches, so each commit cost time in
  proportion to the whole table and the copies were never freed: a long session grew by ~1 GB per 100 steps).
- `normalize_number_arithmetic`: moto writes the result of a DynamoDB ``ADD`` / ``SET a = a - b`` on numbers
  with ``f"{Decimal}"``, which is scientific notation for small values (``0E-8``), then fails to parse it back
  (``int("0E-8")``) on the next ``ADD``: a reservation released to exactly zero broke the next one. Real
  DynamoDB normalizes numbers; such results are written in plain notation here.
- `serialize_sqs`: moto's SQS backend is not thread-safe either; its operations are serialized, and
  `SQS_ACTIVITY` is notified after every write so that the local pollers need no busy waiting.
- `moto_server_without_nagle`: moto's server writes a response's headers and body separately; with Nagle's
  algorithm on, the body waits for the client's delayed ACK and every AWS call costs ~40 ms.
"""

from __future__ import annotations

import copy
import functools
import importlib.metadata
import threading
from decimal import Decimal
from typing import Any

import moto.dynamodb.models as moto_dynamodb
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import MotoRequestHandler
from moto.sqs.models import SQSBackend

TESTED_MOTO = "5.2.5"

DYNAMODB_LOCK = threading.RLock()
_DYNAMODB_OPERATIONS = (
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

SQS_LOCK = threading.RLock()
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

_applying = threading.Lock()


class UntestedMotoVersion(RuntimeError):
    pass


def moto_version() -> str:
    return importlib.metadata.version("moto")


def require_tested_moto() -> None:
    """Fails loudly unless the installed moto is the one these patches were checked against."""
    installed = moto_version()
    if installed != TESTED_MOTO:
        raise UntestedMotoVersion(
            f"localcloud's moto patches were checked against moto {TESTED_MOTO}, but moto {installed} is installed: "
            "re-check each patch in localcloud/emulators/moto_patches.py against it "
            "(tests/localcloud/test_moto_patches.py), then set TESTED_MOTO, or install moto "
            f"{TESTED_MOTO} (requirements-dev.txt)"
        )


def apply_all() -> None:
    """Every patch (idempotent): what the local cloud runs on."""
    serialize_dynamodb()
    normalize_number_arithmetic()
    serialize_sqs()
    moto_server_without_nagle()


def _patch(owner: Any, name: str, make: Any, patch: str) -> None:
    """Replace ``owner.name`` by ``make(original)``, once per `patch` (a wrapper keeps the marks of what it wraps)."""
    original = getattr(owner, name)
    mark = f"_localcloud_{patch}"
    if getattr(original, mark, False):
        return
    patched = make(original)
    functools.update_wrapper(patched, original)
    setattr(patched, mark, True)
    setattr(owner, name, patched)


def _serialized(lock: Any, after: Any = None) -> Any:
    def make(original: Any) -> Any:
        def locked(*args: Any, **kwargs: Any) -> Any:
            with lock:
                result = original(*args, **kwargs)
            if after is not None:
                after()
            return result

        return locked

    return make


# --- DynamoDB: atomic operations, transactions that back up only what they touch ---


class _TablesNotCopied:
    """moto's ``copy`` module as `transact_write_items` sees it: tables pass through uncopied (their touched
    items are backed up and restored instead, see `_with_item_backups`); anything else is deep-copied."""

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
        if table.has_range_key and table.range_key_attr not in key:
            continue
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.has_range_key else None
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

    return transact_write_items


def serialize_dynamodb() -> None:
    """Every DynamoDB operation under `DYNAMODB_LOCK`; transactions back up only the items they touch."""
    require_tested_moto()
    with _applying:
        _patch(DynamoDBBackend, "transact_write_items", _with_item_backups, "item_backups")
        moto_dynamodb.copy = _TablesNotCopied()  # type: ignore[attr-defined]
        for name in _DYNAMODB_OPERATIONS:
            _patch(DynamoDBBackend, name, _serialized(DYNAMODB_LOCK), "serialized")


# --- DynamoDB: numbers in plain notation ---


def _plain(result: DynamoType) -> DynamoType:
    if result.is_number() and "E" in result.value.upper():
        result.value = format(Decimal(result.value), "f")
    return result


def _plain_result(original: Any) -> Any:
    def arithmetic(self: DynamoType, other: DynamoType) -> DynamoType:
        return _plain(original(self, other))

    return arithmetic


def normalize_number_arithmetic() -> None:
    """``ADD`` / ``SET a = a - b`` results in plain notation, as DynamoDB returns numbers."""
    require_tested_moto()
    with _applying:
        _patch(DynamoType, "__add__", _plain_result, "plain_numbers")
        _patch(DynamoType, "__sub__", _plain_result, "plain_numbers")


# --- SQS: atomic operations, and a signal for the pollers ---


def _notify_sqs() -> None:
    with SQS_ACTIVITY:
        SQS_ACTIVITY.notify_all()


def serialize_sqs() -> None:
    """Every SQS operation under `SQS_LOCK`; `SQS_ACTIVITY` notified after each write. Receives must then use
    ``WaitTimeSeconds=0`` (a long poll would hold the lock)."""
    require_tested_moto()
    with _applying:
        for name in _SQS_OPERATIONS:
            after = None if name == "receive_message" else _notify_sqs
            _patch(SQSBackend, name, _serialized(SQS_LOCK, after), "serialized")


# --- moto's server ---


def moto_server_without_nagle() -> None:
    """TCP_NODELAY on every connection moto's server accepts (its request handler is stdlib's
    ``StreamRequestHandler``, whose ``disable_nagle_algorithm`` says so)."""
    require_tested_moto()
    MotoRequestHandler.disable_nagle_algorithm = True
