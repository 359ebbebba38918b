"""Lambda event shapes built from real service data (what the AWS event source mappings deliver)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One SQS `ReceiveMessage` message (received with all system attributes) as a Lambda SQS record."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType", "String"),
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def sqs_event(messages: Iterable[Mapping[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {"Records": [sqs_record(m, queue_arn, region) for m in messages]}


def failed_message_ids(response: Any) -> set[str]:
    """The ids a handler reported in `batchItemFailures` (partial batch response)."""
    if not isinstance(response, Mapping):
        return set()
    return {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
