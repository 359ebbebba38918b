"""EventBridge Scheduler: a one-time at() schedule per sleeping session that invokes the wake function."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

log = logging.getLogger(__name__)

WAKE_RETRIES = 20
WAKE_MAX_AGE_S = 3600


def schedule_name(session_id: str) -> str:
    return f"wake-{session_id}"


def at_expression(when: datetime) -> str:
    return f"at({when.astimezone(UTC):%Y-%m-%dT%H:%M:%S})"


class EventBridgeWakeScheduler:
    def __init__(self, client: Any, group: str, target_arn: str, role_arn: str, dead_letter_arn: str = "") -> None:
        self._scheduler = client
        self._group = group
        self._target_arn = target_arn
        self._role_arn = role_arn
        self._dead_letter_arn = dead_letter_arn

    def schedule_wake(self, job_id: str, session_id: str, at: datetime) -> None:
        target: dict[str, Any] = {
            "Arn": self._target_arn,
            "RoleArn": self._role_arn,
            "Input": json.dumps({"job_id": job_id, "session_id": session_id}),
            # A throttled or failing wake is retried for an hour, then lands in the wake DLQ (and the sweeper
            # wakes any job whose wake is overdue).
            "RetryPolicy": {"MaximumRetryAttempts": WAKE_RETRIES, "MaximumEventAgeInSeconds": WAKE_MAX_AGE_S},
        }
        if self._dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": self._dead_letter_arn}
        params = {
            "Name": schedule_name(session_id),
            "GroupName": self._group,
            "ScheduleExpression": at_expression(at),
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": target,
            "ActionAfterCompletion": "DELETE",
            "State": "ENABLED",
        }
        try:
            self._scheduler.create_schedule(**params)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConflictException":
                raise
            # A retried step (same time: fine) or an earlier sleep's schedule not yet deleted (move it).
            existing = self._scheduler.get_schedule(Name=params["Name"], GroupName=self._group)
            if existing.get("ScheduleExpression") != params["ScheduleExpression"]:
                log.info("moving schedule %s to %s", params["Name"], params["ScheduleExpression"])
                self._scheduler.update_schedule(**params)
