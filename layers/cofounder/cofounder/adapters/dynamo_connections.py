"""The WebSocket connections table: a connection's owner, and which jobs it is subscribed to."""

from __future__ import annotations

import time
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

CONNECTION_TTL_S = 3 * 3600  # API Gateway closes a WebSocket after 2 h at most; TTL sweeps what we missed
META = "META"
BY_JOB = "ByJob"

_ser = TypeSerializer().serialize
_de = TypeDeserializer().deserialize


def _key(connection_id: str, sk: str) -> dict[str, Any]:
    return {"pk": _ser(f"CONN#{connection_id}"), "sk": _ser(sk)}


class DynamoConnections:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def put_connection(self, connection_id: str, owner_id: str, connected_at: str) -> None:
        item = {
            "pk": f"CONN#{connection_id}",
            "sk": META,
            "connection_id": connection_id,
            "owner_id": owner_id,
            "connected_at": connected_at,
            "expires_at": int(time.time()) + CONNECTION_TTL_S,
        }
        self._db.put_item(TableName=self._table, Item={k: _ser(v) for k, v in item.items()})

    def owner_of(self, connection_id: str) -> str | None:
        found = self._db.get_item(TableName=self._table, Key=_key(connection_id, META), ConsistentRead=True)
        item = found.get("Item")
        return _de(item["owner_id"]) if item else None

    def subscribe(self, connection_id: str, job_id: str) -> None:
        item = {
            "pk": f"CONN#{connection_id}",
            "sk": f"SUB#{job_id}",
            "connection_id": connection_id,
            "job_id": job_id,
            "expires_at": int(time.time()) + CONNECTION_TTL_S,
        }
        self._db.put_item(TableName=self._table, Item={k: _ser(v) for k, v in item.items()})

    def unsubscribe(self, connection_id: str, job_id: str) -> None:
        self._db.delete_item(TableName=self._table, Key=_key(connection_id, f"SUB#{job_id}"))

    def remove(self, connection_id: str) -> list[str]:
        """Delete the connection and its subscriptions; returns the jobs it was subscribed to."""
        items = self._items(connection_id)
        for item in items:
            self._db.delete_item(TableName=self._table, Key={"pk": item["pk"], "sk": item["sk"]})
        return [_de(i["job_id"]) for i in items if "job_id" in i]

    def subscribers(self, job_id: str) -> list[str]:
        """Connection ids subscribed to a job (the sparse ByJob index; eventually consistent)."""
        out: list[str] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BY_JOB,
            "KeyConditionExpression": "job_id = :j",
            "ExpressionAttributeValues": {":j": _ser(job_id)},
        }
        while True:
            page = self._db.query(**kwargs)
            out.extend(_de(i["connection_id"]) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _items(self, connection_id: str) -> list[dict[str, Any]]:
        page = self._db.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _ser(f"CONN#{connection_id}")},
            ConsistentRead=True,
        )
        return page.get("Items", [])
