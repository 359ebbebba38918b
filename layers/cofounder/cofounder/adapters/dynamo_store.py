"""DynamoDB implementation of the Store port (one table; see dynamo_items for the layout)."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from cofounder.adapters import dynamo_items as items
from cofounder.adapters.s3_blobs import Blobs
from cofounder.adapters.snapshot_cache import SnapshotCache
from cofounder.domain.job import Escalation, Job, JobSnapshot, Message
from cofounder.domain.states import AgentState
from cofounder.errors import AlreadyResolved, ConcurrentUpdate
from cofounder.ports import Commit, Reservation, Settlement

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
MAX_TRANSACTION_ITEMS = 100
HELD_INLINE_BYTES = 8 * 1024


def _ser(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items()}


def _de(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def _values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items()}


class DynamoStore:
    def __init__(self, client: Any, table_name: str, blobs: Blobs, large_bytes: int = 64 * 1024) -> None:
        self._db = client
        self._table = table_name
        self._blobs = blobs
        self._large_bytes = large_bytes
        self._snapshots = SnapshotCache()

    # -- reads -----------------------------------------------------------------------------------

    def _query(self, limit: int | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        """The rows in key order: all of them, or the first `limit` (asking DynamoDB for no more than that)."""
        out: list[dict[str, Any]] = []
        while True:
            if limit is not None:
                kwargs["Limit"] = limit - len(out)
            page = self._db.query(TableName=self._table, **kwargs)
            out.extend(_de(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page or (limit is not None and len(out) >= limit):
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        found = self._db.get_item(TableName=self._table, Key=_ser(key), ConsistentRead=True).get("Item")
        return _de(found) if found else None

    def load(self, job_id: str) -> JobSnapshot | None:
        cached = self._snapshots.get(job_id)
        if cached is not None:  # one item to read, not the conversation, if it is still that version
            job = self.get_job(job_id)
            if job is not None and job.version == cached.job.version:
                return JobSnapshot(job, cached.messages, cached.notes)
            self._snapshots.forget(job_id)
        rows = self._query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues=_values(
                {":pk": items.job_pk(job_id), ":a": items.LOAD_FROM, ":b": items.LOAD_TO}
            ),
            ConsistentRead=True,
        )
        if not rows or rows[0]["sk"] != items.JOB_SK:
            return None
        job = self._job(rows[0])
        messages = [self._message(job_id, row) for row in rows[1:] if row["sk"].startswith("MSG#")]
        notes = {row["sk"].removeprefix("NOTE#"): row["text"] for row in rows[1:] if row["sk"].startswith("NOTE#")}
        snapshot = JobSnapshot(job, messages, notes)
        self._snapshots.keep(snapshot)
        return snapshot

    def _message(self, job_id: str, row: dict[str, Any]) -> Message:
        raw = self._blobs.get(row["content_key"]) if "content_key" in row else row["content"]
        seq = int(row["sk"].removeprefix("MSG#"))
        return Message(seq, row["role"], tuple(json.loads(raw)))

    def get_job(self, job_id: str) -> Job | None:
        row = self._get({"pk": items.job_pk(job_id), "sk": items.JOB_SK})
        return self._job(row) if row else None

    def _job(self, row: dict[str, Any]) -> Job:
        job = items.item_to_job(row)
        if "held_results_key" in row:
            job = job.evolve(held_results=tuple(json.loads(self._blobs.get(row["held_results_key"]))))
        return job

    def get_escalation(self, escalation_id: str, job_id: str | None = None) -> Escalation | None:
        if job_id is not None:
            row = self._get({"pk": items.job_pk(job_id), "sk": items.escalation_sk(escalation_id)})
            return items.item_to_escalation(row) if row else None
        index_rows = self._query(
            IndexName="GSI1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues=_values({":pk": f"ESC#{escalation_id}"}),
        )
        if not index_rows:
            return None
        # The index is eventually consistent: read the item itself for its current status.
        row = self._get({"pk": index_rows[0]["pk"], "sk": index_rows[0]["sk"]})
        return items.item_to_escalation(row) if row else None

    def jobs_of(self, owner_id: str, limit: int = 50, before: str | None = None) -> list[Job]:
        """The owner's jobs, newest first (GSI1: OWNER#{owner} / JOB#{created_at}#{job_id}); with `before`, only
        those whose `{created_at}#{job_id}` sorts below it (any string is a position)."""
        upper = f"JOB#{before}" if before is not None else "JOB$"  # "$" sorts right after "#": every job
        rows = self._query(
            limit + 1,  # the job at `before` itself may be among them
            IndexName="GSI1",
            KeyConditionExpression="gsi1pk = :pk AND gsi1sk BETWEEN :lower AND :upper",
            ExpressionAttributeValues=_values({":pk": f"OWNER#{owner_id}", ":lower": "JOB#", ":upper": upper}),
            ScanIndexForward=False,
        )
        return [items.item_to_job(row) for row in rows if row["gsi1sk"] != upper][:limit]

    def list_escalations(self, job_id: str, after: str | None = None, limit: int | None = None) -> list[Escalation]:
        """The job's escalations in escalation_id order (their sort key), from just after the id `after`."""
        kwargs: dict[str, Any] = {}
        if after is not None:
            kwargs["ExclusiveStartKey"] = _ser({"pk": items.job_pk(job_id), "sk": items.escalation_sk(after)})
        rows = self._query(
            limit,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :esc)",
            ExpressionAttributeValues=_values({":pk": items.job_pk(job_id), ":esc": "ESC#"}),
            ConsistentRead=True,
            **kwargs,
        )
        return [items.item_to_escalation(row) for row in rows]

    def events_after(self, job_id: str, after: int, limit: int | None = None) -> list[dict[str, Any]]:
        """The job's events with an event_id above `after`, in order: all of them, or the first `limit`."""
        last = 10**items.EVENT_ID_WIDTH - 1
        if after >= last:  # beyond what the log's keys can hold: nothing (and no inverted key range)
            return []
        rows = self._query(
            limit,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues=_values(
                {":pk": items.job_pk(job_id), ":a": items.event_sk(max(after, 0) + 1), ":b": items.event_sk(last)}
            ),
            ConsistentRead=True,
        )
        return [json.loads(r["event"]) for r in rows]

    def jobs_in(self, partition: str, before: str, limit: int) -> list[str]:
        """Ids of the jobs in one activity-index partition (`dynamo_items.WORKING` / `SLEEPING` / `FINISHED`)
        whose time sorts before `before`, oldest first (the index lags: callers read the job itself)."""
        rows = self._query(
            limit,
            IndexName=items.ACTIVITY_INDEX,
            KeyConditionExpression="gsi2pk = :pk AND gsi2sk < :before",
            ExpressionAttributeValues=_values({":pk": partition, ":before": before}),
        )
        return [row["pk"].removeprefix("JOB#") for row in rows]

    def active_jobs_count(self, owner_id: str, at_most: int) -> int:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "GSI1",
            "KeyConditionExpression": "gsi1pk = :pk AND begins_with(gsi1sk, :job)",
            "FilterExpression": "#s IN (:w, :s, :i)",
            "ExpressionAttributeNames": {"#s": "state"},
            "ExpressionAttributeValues": _values(
                {
                    ":pk": f"OWNER#{owner_id}",
                    ":job": "JOB#",
                    ":w": AgentState.WORKING.value,
                    ":s": AgentState.SLEEPING.value,
                    ":i": AgentState.WAITING_FOR_INPUT.value,
                }
            ),
            "ScanIndexForward": False,  # unfinished jobs are mostly the recent ones
            "Select": "COUNT",
        }
        count = 0
        while count < at_most:
            page = self._db.query(**kwargs)
            count += page.get("Count", 0)
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return min(count, at_most)

    def idempotent_job(self, owner_id: str, key: str) -> str | None:
        row = self._get(items.idempotency_key(owner_id, key))
        if row is None or int(row.get("expires_at", 0)) < time.time():  # TTL deletes lag behind expiry
            return None
        return str(row["job_id"])

    def purge(self, job_id: str) -> int:
        """Delete everything of a job: its S3 objects, then its items, the job item last (a purge cut short is
        found and finished by the next sweep). Returns how many items went."""
        self._blobs.delete_prefix(f"jobs/{job_id}/")
        rows = self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=_values({":pk": items.job_pk(job_id)}),
            ProjectionExpression="pk, sk",
        )
        keys = sorted(({"pk": r["pk"], "sk": r["sk"]} for r in rows), key=lambda k: k["sk"] == items.JOB_SK)
        for start in range(0, len(keys), 25):
            requests = [{"DeleteRequest": {"Key": _ser(k)}} for k in keys[start : start + 25]]
            while requests:
                left = self._db.batch_write_item(RequestItems={self._table: requests}).get("UnprocessedItems", {})
                requests = left.get(self._table, [])
        self._snapshots.forget(job_id)
        return len(keys)

    def spent(self, owner_id: str, day: str) -> Decimal:
        row = self._get(items.ledger_key(owner_id, day))
        return Decimal(row.get("spent", 0)) if row else Decimal(0)

    # -- the budget ledger -------------------------------------------------------------------------

    def reserve(self, owner_id: str, day: str, key: str, amount: Decimal, budget: Decimal) -> Reservation:
        """Atomically reserve `amount` of the owner's day: used (spent + open reservations) stays <= budget.

        Idempotent per key: a second reserve with the same key (a redelivered step) reuses the first one.
        """
        attr = items.reservation_attr(key)
        try:
            new = self._db.update_item(
                TableName=self._table,
                Key=_ser(items.ledger_key(owner_id, day)),
                UpdateExpression="SET #r = :amount ADD used :amount",
                ConditionExpression="attribute_not_exists(#r) AND (attribute_not_exists(used) OR used <= :limit)",
                ExpressionAttributeNames={"#r": attr},
                ExpressionAttributeValues=_values({":amount": amount, ":limit": budget - amount}),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )["Attributes"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item")
            row = _de(old) if old else (self._get(items.ledger_key(owner_id, day)) or {})
            spent = Decimal(row.get("spent", 0))
            if attr in row:
                return Reservation(True, key, day, Decimal(row[attr]), spent, existing=True)
            return Reservation(False, key, day, Decimal(0), spent)
        row = _de(new)
        return Reservation(True, key, day, amount, Decimal(row.get("spent", 0)))

    def open_reservation(self, owner_id: str, day: str, key: str) -> Decimal | None:
        row = self._get(items.ledger_key(owner_id, day)) or {}
        amount = row.get(items.reservation_attr(key))
        return Decimal(amount) if amount is not None else None

    def settle(self, settlement: Settlement) -> bool:
        try:
            self._db.update_item(**self._settle(settlement))
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    # -- the atomic commit -------------------------------------------------------------------------

    def commit(self, commit: Commit) -> None:
        actions: list[dict[str, Any]] = []
        job = commit.job
        job_put: dict[str, Any] = {"TableName": self._table, "Item": _ser(self._job_item(job))}
        if commit.expected_version is None:
            job_put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            job_put["ConditionExpression"] = "version = :v"
            job_put["ExpressionAttributeValues"] = _values({":v": commit.expected_version})
        actions.append({"Put": job_put})
        for message in commit.messages:
            actions.append({"Put": {"TableName": self._table, "Item": _ser(self._message_item(job.job_id, message))}})
        for event in commit.events:
            actions.append({"Put": {"TableName": self._table, "Item": _ser(items.event_to_item(event))}})
        for key, text in commit.notes.items():
            note = {"pk": items.job_pk(job.job_id), "sk": items.note_sk(key), "text": text}
            actions.append({"Put": {"TableName": self._table, "Item": _ser(note)}})
        if commit.new_escalation is not None:
            item = items.escalation_to_item(commit.new_escalation)
            actions.append({"Put": {"TableName": self._table, "Item": _ser(item)}})
        resolved_index = None
        if commit.resolved_escalation is not None:
            resolved_index = len(actions)
            actions.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _ser(items.escalation_to_item(commit.resolved_escalation)),
                        "ConditionExpression": "#s = :pending",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": _values({":pending": "pending"}),
                    }
                }
            )
        if commit.settlement is not None:
            actions.append({"Update": self._settle(commit.settlement)})
        if commit.idempotency is not None:
            owner_id, key = commit.idempotency
            record = {**items.idempotency_key(owner_id, key), "job_id": job.job_id}
            record["expires_at"] = int(time.time()) + items.IDEMPOTENCY_TTL_S
            actions.append(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": _ser(record),
                        "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
                        "ExpressionAttributeValues": _values({":now": int(time.time())}),
                    }
                }
            )
        if commit.journal_step is not None:
            journal_key = {"pk": items.job_pk(job.job_id), "sk": items.journal_sk(commit.journal_step)}
            actions.append({"Delete": {"TableName": self._table, "Key": _ser(journal_key)}})
        if len(actions) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"a commit holds at most {MAX_TRANSACTION_ITEMS} writes, not {len(actions)}")
        try:
            self._db.transact_write_items(TransactItems=actions)
        except ClientError as exc:
            self._snapshots.forget(job.job_id)
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            escalation_failed = resolved_index is not None and resolved_index < len(reasons)
            if escalation_failed and reasons[resolved_index] == "ConditionalCheckFailed":
                raise AlreadyResolved("the escalation was already resolved") from exc
            raise ConcurrentUpdate(f"job {job.job_id} changed concurrently ({reasons})") from exc
        self._snapshots.committed(commit)

    def _job_item(self, job: Job) -> dict[str, Any]:
        """The job item stays small however much a turn held back for the founder: large held results go to S3
        (written before the commit; a failed commit leaves an unreferenced object, removed with the job)."""
        held = json.dumps(list(job.held_results))
        if len(held.encode()) <= HELD_INLINE_BYTES:
            return items.job_to_item(job)
        key = f"jobs/{job.job_id}/held/{job.version:08d}.json"
        self._blobs.put(key, held)
        return items.job_to_item(job, held_results_key=key)

    def _message_item(self, job_id: str, message: Message) -> dict[str, Any]:
        body = json.dumps(list(message.content))
        content_key = None
        if len(body.encode()) > self._large_bytes:
            content_key = f"jobs/{job_id}/messages/{message.seq:08d}.json"
            self._blobs.put(content_key, body)
        return items.message_to_item(job_id, message, content_key)

    def _settle(self, settlement: Settlement) -> dict[str, Any]:
        delta = (settlement.cost or Decimal(0)) - settlement.reserved
        values: dict[str, Any] = {":delta": delta}
        expression = "ADD used :delta"
        if settlement.cost is not None:
            expression += ", spent :cost"
            values[":cost"] = settlement.cost
        return {
            "TableName": self._table,
            "Key": _ser(items.ledger_key(settlement.owner_id, settlement.day)),
            "UpdateExpression": f"{expression} REMOVE #r",
            "ConditionExpression": "attribute_exists(#r)",
            "ExpressionAttributeNames": {"#r": items.reservation_attr(settlement.key)},
            "ExpressionAttributeValues": _values(values),
        }
