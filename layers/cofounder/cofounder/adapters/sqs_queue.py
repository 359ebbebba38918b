"""SQS FIFO step queue: one message per step, grouped by job, deduplicated by job + step + job version."""

from __future__ import annotations

import json
from typing import Any


def step_body(job_id: str, step: int) -> str:
    return json.dumps({"job_id": job_id, "step": step})


class SqsStepQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def enqueue_step(self, job_id: str, step: int, version: int) -> None:
        self._sqs.send_message(
            QueueUrl=self._url,
            MessageBody=step_body(job_id, step),
            MessageGroupId=job_id,
            MessageDeduplicationId=f"{job_id}-{step}-{version}",
        )

    def retry_later(self, receipt_handle: str, delay_s: int) -> None:
        self._sqs.change_message_visibility(
            QueueUrl=self._url, ReceiptHandle=receipt_handle, VisibilityTimeout=delay_s
        )
