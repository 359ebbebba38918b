"""EventBridge Scheduler, the part moto leaves out: fire due schedules to their target on the local clock.

Reads the schedules through the Scheduler API (what the template and the production code wrote), in the
given groups and the ``default`` group (where a schedule without ``GroupName``, e.g. a SAM ``ScheduleV2``
event, lives), and invokes the target function in-process:

- ``at()``: once, when due; deleted after when ActionAfterCompletion is DELETE (the wake schedules).
- ``rate()``: every period, counted from when the clock first saw the schedule (e.g. the sweeper's
  ``rate(5 minutes)``). A jump of the clock over several periods fires it once, not once per period
  missed: what it targets is a repair that looks at the state of the moment, so one run catches up.
- ``cron()``: not run (the template has none); logged once.

The payload is the target's Input, or the default notification EventBridge Scheduler sends without one
(``events/sweeper_schedule.json``). Time is the local cloud's clock, so advancing it wakes a sleeping agent
and runs the repairs.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from localcloud.clock import LocalClock
from localcloud.lambda_context import LocalLambdaContext

log = logging.getLogger("localcloud.scheduler")

TICK_S = 0.2
DEFAULT_GROUP = "default"
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_S = {"minute": 60, "hour": 3600, "day": 86400}

ScheduleKey = tuple[str, str, str]
"""(group, name, last modification): a schedule updated under the same name is a new one."""


def due_time(expression: str, timezone: str | None) -> datetime | None:
    """When an at() expression fires (None for anything else)."""
    match = _AT.match(expression or "")
    if not match:
        return None
    zone = ZoneInfo(timezone) if timezone else UTC
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=zone).astimezone(UTC)


def rate_period(expression: str) -> timedelta | None:
    """The period of a rate() expression (None for anything else, or a rate of 0)."""
    match = _RATE.match(expression or "")
    if not match or int(match.group(1)) == 0:
        return None
    return timedelta(seconds=int(match.group(1)) * _UNIT_S[match.group(2).removesuffix("s")])


def default_notification(schedule: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What EventBridge Scheduler delivers to a target whose Input is empty."""
    arn = schedule.get("Arn", "")
    parts = arn.split(":")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": parts[4] if len(parts) > 4 else "",
        "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": parts[3] if len(parts) > 3 else "",
        "resources": [arn],
        "detail": {},
    }


class SchedulerClock:
    def __init__(
        self,
        scheduler: Any,
        groups: list[str],
        targets: dict[str, tuple[str, Callable[[dict, Any], Any]]],
        clock: LocalClock,
    ) -> None:
        """`targets` maps a function ARN to (function name, handler); `groups` are listed with ``default``."""
        self._scheduler = scheduler
        self._groups = list(dict.fromkeys([*groups, DEFAULT_GROUP]))
        self._targets = targets
        self._clock = clock
        self._fired: set[ScheduleKey] = set()  # at() schedules that fired
        self._next_rate: dict[ScheduleKey, datetime] = {}  # rate() schedules: when each fires next
        self._unsupported: set[ScheduleKey] = set()
        self._details: dict[ScheduleKey, dict[str, Any]] = {}
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="schedule")
        self._thread = threading.Thread(target=self._run, name="scheduler-clock", daemon=True)
        self.fired: list[str] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
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
                if key in self._fired or key in self._unsupported or summary.get("State") != "ENABLED":
                    continue
                schedule = self._details.get(key)
                if schedule is None:
                    schedule = self._scheduler.get_schedule(Name=summary["Name"], GroupName=group)
                    self._details[key] = schedule
                if self._due(key, schedule, now):
                    self._fire(schedule, now)
                    fired += 1
        return fired

    def _due(self, key: ScheduleKey, schedule: dict[str, Any], now: datetime) -> bool:
        expression = schedule.get("ScheduleExpression", "")
        at = due_time(expression, schedule.get("ScheduleExpressionTimezone"))
        if at is not None:
            if at > now:
                return False
            self._fired.add(key)
            return True
        period = rate_period(expression)
        if period is None:
            log.warning("schedule %s: %r is not run by the local cloud", schedule["Name"], expression)
            self._unsupported.add(key)
            return False
        start, end = schedule.get("StartDate"), schedule.get("EndDate")
        next_at = self._next_rate.setdefault(key, max(now, start or now) + period)
        if now < next_at or (end is not None and now > end):
            return False
        missed = (now - next_at) // period  # periods the clock jumped over: one firing catches them up
        self._next_rate[key] = next_at + (missed + 1) * period
        return True

    def _list(self, group: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"GroupName": group}
        while True:
            page = self._scheduler.list_schedules(**kwargs)
            out.extend(page.get("Schedules", []))
            if not page.get("NextToken"):
                return out
            kwargs["NextToken"] = page["NextToken"]

    def _fire(self, schedule: dict[str, Any], now: datetime) -> None:
        target = schedule["Target"]
        found = self._targets.get(target["Arn"])
        if found is None:
            log.warning("schedule %s targets %s, which the local cloud does not run", schedule["Name"], target["Arn"])
            return
        name, handler = found
        payload = json.loads(target["Input"]) if target.get("Input") else default_notification(schedule, now)
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
