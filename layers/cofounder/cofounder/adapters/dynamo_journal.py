"""The step journal in the agent table: one item per step in flight (`STEP#n`), deleted by the step's commit.

Written right after the model answered (the response, its usage and the reservation it was paid from) and
updated as each journaled tool completes, so a redelivered step resumes from here instead of paying or
acting again. A response too large for an item goes to S3 first.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from cofounder.adapters import dynamo_items as items
from cofounder.adapters.s3_blobs import Blobs
from cofounder.ports import JournalEntry, ModelResponse, Reservation

RETENTION_S = 30 * 86400
"""A journal outlives its step only when the step never committed; the TTL collects those."""

_ser = TypeSerializer().serialize
_de = TypeDeserializer().deserialize


class DynamoJournal:
    def __init__(self, client: Any, table_name: str, blobs: Blobs, large_bytes: int = 64 * 1024) -> None:
        self._db = client
        self._table = table_name
        self._blobs = blobs
        self._large_bytes = large_bytes

    def _key(self, job_id: str, step: int) -> dict[str, Any]:
        return {"pk": _ser(items.job_pk(job_id)), "sk": _ser(items.journal_sk(step))}

    def read(self, job_id: str, step: int) -> JournalEntry | None:
        found = self._db.get_item(TableName=self._table, Key=self._key(job_id, step), ConsistentRead=True).get("Item")
        if not found:
            return None
        row = {k: _de(v) for k, v in found.items()}
        raw = self._blobs.get(row["response_key"]) if "response_key" in row else row["response"]
        response = json.loads(raw)
        r = row["reservation"]
        return JournalEntry(
            step=step,
            response=ModelResponse(response["content"], response["stop_reason"], response["usage"], response["model"]),
            reservation=Reservation(True, r["key"], r["day"], Decimal(r["amount"]), Decimal(r["spent"]), True),
            results={k: (v["content"], bool(v["is_error"])) for k, v in (row.get("results") or {}).items()},
        )

    def record_call(self, job_id: str, entry: JournalEntry) -> JournalEntry:
        response = entry.response
        body = json.dumps(
            {
                "content": response.content,
                "stop_reason": response.stop_reason,
                "usage": response.usage,
                "model": response.model,
            }
        )
        r = entry.reservation
        item: dict[str, Any] = {
            "reservation": {"key": r.key, "day": r.day, "amount": r.amount, "spent": r.spent},
            "results": {},
            "expires_at": int(time.time()) + RETENTION_S,
        }
        if len(body.encode()) > self._large_bytes:
            item["response_key"] = f"jobs/{job_id}/journal/{entry.step:08d}.json"
            self._blobs.put(item["response_key"], body)
        else:
            item["response"] = body
        try:
            self._db.put_item(
                TableName=self._table,
                Item={**self._key(job_id, entry.step), **{k: _ser(v) for k, v in item.items()}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            recorded = self.read(job_id, entry.step)  # another delivery recorded its call first: that one counts
            if recorded is not None:
                return recorded
        return entry

    def record_result(self, job_id: str, step: int, tool_use_id: str, content: str, is_error: bool) -> None:
        self._db.update_item(
            TableName=self._table,
            Key=self._key(job_id, step),
            UpdateExpression="SET results.#id = :result",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#id": tool_use_id},
            ExpressionAttributeValues={":result": _ser({"content": content, "is_error": is_error})},
        )
