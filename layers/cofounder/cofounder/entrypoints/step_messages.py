"""An SQS step message → one run of the step service, with the queue's retry policy (and only here)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from cofounder.domain.error_messages import founder_message
from cofounder.domain.outcomes import Fail
from cofounder.errors import ModelCallFailed
from cofounder.services.runtime import Runtime
from cofounder.services.step import StepReport, fail_job, run_step

log = logging.getLogger(__name__)


FIRST_RETRY_DELAY_S = 5
MAX_RETRY_DELAY_S = 60


class PoisonMessage(ValueError):
    """A message that can never be processed; it is dropped (logged), never retried."""


def parse_step_body(body: str) -> tuple[str, int]:
    try:
        data = json.loads(body)
        job_id, step = data["job_id"], data["step"]
    except (ValueError, TypeError, KeyError) as exc:
        raise PoisonMessage(f"not a step message: {body[:200]!r}") from exc
    if not isinstance(job_id, str) or not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise PoisonMessage(f"not a step message: {body[:200]!r}")
    return job_id, step


def retry_delay_s(receive_count: int) -> int:
    """Seconds until a failed step message is delivered again: 5, 10, 20, 40, then every 60."""
    return min(MAX_RETRY_DELAY_S, FIRST_RETRY_DELAY_S * 2 ** (max(receive_count, 1) - 1))


def handle_step_message(
    rt: Runtime,
    body: str,
    receive_count: int,
    *,
    receipt_handle: str | None = None,
    time_left_s: Callable[[], float] | None = None,
) -> StepReport | None:
    """Raises to have SQS deliver the message again (within seconds, not after the queue's visibility
    timeout) while a retry can help and deliveries are left; otherwise the job fails with a message for
    the founder."""
    try:
        job_id, step = parse_step_body(body)
    except PoisonMessage as exc:
        log.error("%s", exc)
        return None
    last_delivery = receive_count >= rt.settings.max_receive_count
    try:
        return run_step(rt, job_id, step, redelivered=receive_count > 1, time_left_s=time_left_s)
    except ModelCallFailed as exc:
        if exc.retryable and not last_delivery:
            _retry_soon(rt, receipt_handle, receive_count)
            raise
        log.warning("step %s of job %s: the model call failed for good: %s", step, job_id, exc)
        return _failed(rt, job_id, founder_message(exc))
    except Exception as exc:
        if not last_delivery:
            _retry_soon(rt, receipt_handle, receive_count)
            raise
        log.exception("step %s of job %s failed on its last delivery", step, job_id)
        return _failed(rt, job_id, founder_message(exc, attempts=receive_count))


def _retry_soon(rt: Runtime, receipt_handle: str | None, receive_count: int) -> None:
    if receipt_handle is None:
        return
    try:
        rt.queue.retry_later(receipt_handle, retry_delay_s(receive_count))
    except Exception:  # the message still comes back, after the queue's visibility timeout
        log.exception("could not shorten the retry delay of a step message")


def _failed(rt: Runtime, job_id: str, reason: str) -> StepReport:
    fail_job(rt, job_id, reason)
    return StepReport(Fail(reason))
