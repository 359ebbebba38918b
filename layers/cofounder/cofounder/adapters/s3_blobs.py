"""Large payloads (conversation messages over the item-size budget) in S3."""

from __future__ import annotations

from typing import Any, Protocol


class Blobs(Protocol):
    def put(self, key: str, text: str) -> None: ...
    def get(self, key: str) -> str: ...


class S3Blobs:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def put(self, key: str, text: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=text.encode(), ContentType="application/json")

    def get(self, key: str) -> str:
        return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read().decode()
