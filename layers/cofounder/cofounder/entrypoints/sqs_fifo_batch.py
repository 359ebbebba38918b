"""SQS FIFO partial-batch processing: report failed records, keep each message group in order.

A failed record is reported in `batchItemFailures`; every later record of the same message group is reported
with it unprocessed (running it would overtake the failed one), while other groups carry on. Nothing is
raised: a wholly failed batch is redelivered the same way, without an error in the function's metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

Record = dict[str, Any]


def process_fifo_batch(records: Iterable[Record], handle: Callable[[Record], object]) -> dict[str, list[dict]]:
    failed_groups: set[str] = set()
    failures: list[dict[str, str]] = []
    for record in records:
        group = (record.get("attributes") or {}).get("MessageGroupId", "")
        if group in failed_groups:
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        try:
            handle(record)
        except Exception:
            log.exception("SQS message %s failed: it and the rest of its group go back", record["messageId"])
            failed_groups.add(group)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def receive_count(record: Record) -> int:
    """How many times SQS has delivered this record (1 on the first delivery)."""
    try:
        return max(1, int((record.get("attributes") or {}).get("ApproximateReceiveCount", 1)))
    except (TypeError, ValueError):
        return 1
