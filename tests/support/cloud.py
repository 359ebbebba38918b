"""Driving the moto cloud like AWS would: SQS -> agent_step handler, schedules -> wake handler."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from localcloud.handlers import load_handler
from localcloud.lambda_context import LocalLambdaContext
from localcloud.lambda_events import failed_message_ids, sqs_event

REGION = "us-east-1"
ROOT = Path(__file__).resolve().parents[2]


def agent_step_handler():
    return load_handler("functions/agent_step")


def wake_handler():
    return load_handler("functions/wake")


class Cloud:
    def __init__(self, resources: Any) -> None:
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.scheduler = boto3.client("scheduler", region_name=REGION)
        self.queue_url = resources.ref("StepQueue")
        self.queue_arn = resources.get_att("StepQueue", "Arn")
        self.group = resources.ref("WakeScheduleGroup")

    def receive(self, max_messages: int = 1) -> list[dict[str, Any]]:
        return self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=max_messages,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])

    def deliver(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """Invoke agent_step like the event source mapping: delete what succeeded, release what failed."""
        response = agent_step_handler()(sqs_event(messages, self.queue_arn, REGION), LocalLambdaContext("agent_step"))
        failed = failed_message_ids(response)
        for message in messages:
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return response

    def run_steps(self, limit: int = 20) -> int:
        """Deliver step messages one at a time until the queue is empty; returns how many were delivered."""
        delivered = 0
        while delivered < limit:
            messages = self.receive()
            if not messages:
                return delivered
            self.deliver(messages)
            delivered += 1
        raise AssertionError(f"still stepping after {limit} deliveries")

    def schedules(self) -> list[dict[str, Any]]:
        names = [s["Name"] for s in self.scheduler.list_schedules(GroupName=self.group)["Schedules"]]
        return [self.scheduler.get_schedule(Name=n, GroupName=self.group) for n in names]

    def fire(self, schedule: dict[str, Any]) -> Any:
        """What EventBridge Scheduler does at the schedule's time: invoke the target, then delete it."""
        result = wake_handler()(json.loads(schedule["Target"]["Input"]), LocalLambdaContext("wake"))
        if schedule.get("ActionAfterCompletion") == "DELETE":
            self.scheduler.delete_schedule(Name=schedule["Name"], GroupName=schedule["GroupName"])
        return result
