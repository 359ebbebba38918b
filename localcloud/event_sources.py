"""Event source mappings from template.yaml: SQS queue -> function, as Lambda's poller does it.

Honours BatchSize and ReportBatchItemFailures: successes are deleted, failures become visible again
after a short local retry delay (AWS waits out the visibility timeout), and moto moves a message to the
dead-letter queue once it was received maxReceiveCount times.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from localcloud.emulators.moto_patches import SQS_ACTIVITY
from localcloud.lambda_context import LocalLambdaContext
from localcloud.lambda_events import failed_message_ids, sqs_event

log = logging.getLogger("localcloud.sqs")

RETRY_DELAY_S = 1
IDLE_WAIT_S = 0.5


@dataclass
class SqsMapping:
    function_name: str
    handler: Callable[[dict, Any], Any]
    queue_url: str
    queue_arn: str
    batch_size: int = 1
    report_batch_item_failures: bool = True
    timeout_s: int = 300


class SqsPoller:
    """One receiving thread per mapping, and a pool of concurrent invocations (Lambda's scaling)."""

    def __init__(self, sqs: Any, mapping: SqsMapping, region: str, concurrency: int = 32) -> None:
        self._sqs = sqs
        self._mapping = mapping
        self._region = region
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=f"sqs-{mapping.function_name}")
        self._slots = threading.Semaphore(concurrency)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"poll-{mapping.function_name}", daemon=True)
        self.invocations = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with SQS_ACTIVITY:
            SQS_ACTIVITY.notify_all()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                batches = self._receive()
            except Exception:
                if self._stopping.is_set():
                    return
                log.exception("receive from %s failed", self._mapping.queue_url)
                self._stopping.wait(1)
                continue
            if not batches:
                with SQS_ACTIVITY:
                    SQS_ACTIVITY.wait(IDLE_WAIT_S)
                continue
            for batch in batches:
                self._slots.acquire()
                self._pool.submit(self._invoke, batch)

    def _receive(self) -> list[list[dict[str, Any]]]:
        messages = self._sqs.receive_message(
            QueueUrl=self._mapping.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        size = max(1, self._mapping.batch_size)
        return [messages[i : i + size] for i in range(0, len(messages), size)]

    def _invoke(self, messages: list[dict[str, Any]]) -> None:
        mapping = self._mapping
        try:
            event = sqs_event(messages, mapping.queue_arn, self._region)
            context = LocalLambdaContext(mapping.function_name, timeout_s=mapping.timeout_s, region=self._region)
            try:
                response = mapping.handler(event, context)
                failed = failed_message_ids(response) if mapping.report_batch_item_failures else set()
            except Exception:
                log.exception("%s failed on a batch of %d", mapping.function_name, len(messages))
                failed = {m["MessageId"] for m in messages}
            self.invocations += 1
            for message in messages:
                if message["MessageId"] in failed:
                    self._sqs.change_message_visibility(
                        QueueUrl=mapping.queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=RETRY_DELAY_S,
                    )
                else:
                    self._sqs.delete_message(QueueUrl=mapping.queue_url, ReceiptHandle=message["ReceiptHandle"])
        except Exception:
            log.exception("could not settle a batch of %s", mapping.function_name)
        finally:
            self._slots.release()
