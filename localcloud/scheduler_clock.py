"""EventBridge Scheduler, the part moto leaves out: fire due one-time at() schedules to their target.

Reads the schedules through the Scheduler API (what the production code wrote), invokes the target
function in-process with the schedule's Input, and deletes the schedule when ActionAfterCompletion is
DELETE. Time is the local cloud's clock, so advancing it makes a sleeping agent wake.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from localcloud.clock import LocalClock
from localcloud.lambda_context import LocalLambdaContext

log = logging.getLogger("localcloud.scheduler")

TICK_S = 0.2
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


def due_time(expression: str, timezone: str | None) -> datetime | None:
    """When an at() expression fires (None for rate()/cron(), which the local cloud does not run)."""
    match = _AT.match(expression or "")
    if not match:
        return None
    zone = ZoneInfo(timezone) if timezone else UTC
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=zone).astimezone(UTC)


class SchedulerClock:
    def __init__(
        self,
        scheduler: Any,
        groups: list[str],
        targets: dict[str, tuple[str, Callable[[dict, Any], Any]]],
        clock: LocalClock,
    ) -> None:
        """`targets` maps a function ARN to (function name, handler)."""
        self._scheduler = scheduler
        self._groups = groups
        self._targets = targets
        self._clock = clock
        self._fired: set[tuple[str, str, str]] = set()
        self._details: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="schedule")
        self._thread = threading.Thread(target=self._run, name="scheduler-clock", daemon=True)
        self.fired: list[str] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._pool.shutdown(wait=True)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:
                if self._stopping.is_set():
                    return
                log.exception("scheduler tick failed")
            self._clock.wait(TICK_S)

    def tick(self) -> int:
        """Fire every due schedule once; returns how many fired."""
        now = self._clock.now()
        fired = 0
        for group in self._groups:
            for summary in self._list(group):
                key = (group, summary["Name"], str(summary.get("LastModificationDate")))
                if key in self._fired or summary.get("State") != "ENABLED":
                    continue
                schedule = self._details.get(key)
                if schedule is None:
                    schedule = self._scheduler.get_schedule(Name=summary["Name"], GroupName=group)
                    self._details[key] = schedule
                due = due_time(schedule.get("ScheduleExpression", ""), schedule.get("ScheduleExpressionTimezone"))
                if due is None or due > now:
                    continue
                self._fired.add(key)
                self._fire(schedule)
                fired += 1
        return fired

    def _list(self, group: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"GroupName": group}
        while True:
            page = self._scheduler.list_schedules(**kwargs)
            out.extend(page.get("Schedules", []))
            if not page.get("NextToken"):
                return out
            kwargs["NextToken"] = page["NextToken"]

    def _fire(self, schedule: dict[str, Any]) -> None:
        target = schedule["Target"]
        found = self._targets.get(target["Arn"])
        if found is None:
            log.warning("schedule %s targets %s, which the local cloud does not run", schedule["Name"], target["Arn"])
            return
        name, handler = found
        payload = json.loads(target.get("Input") or "{}")
        log.info("firing schedule %s -> %s", schedule["Name"], name)
        self.fired.append(schedule["Name"])
        if schedule.get("ActionAfterCompletion") == "DELETE":
            self._scheduler.delete_schedule(Name=schedule["Name"], GroupName=schedule["GroupName"])

        def invoke() -> None:
            try:
                handler(payload, LocalLambdaContext(name))
            except Exception:
                log.exception("%s failed on schedule %s", name, schedule["Name"])

        self._pool.submit(invoke)
