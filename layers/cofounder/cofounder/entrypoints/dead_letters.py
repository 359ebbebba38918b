"""A dead-lettered message → its repair: a step message fails its job, a wake payload wakes the job.

Nothing raised: a dead letter that cannot be handled is logged and dropped (the sweeper still repairs its
job), never redelivered forever.
"""

from __future__ import annotations

import json
import logging

from cofounder.entrypoints.step_messages import PoisonMessage, parse_step_body
from cofounder.services.repairs import step_dead_lettered, wake_dead_lettered
from cofounder.services.runtime import Runtime

log = logging.getLogger(__name__)


def handle_dead_letter(rt: Runtime, body: str) -> str:
    """What was done: "failed", "woke", "nothing" or "dropped"."""
    try:
        data = json.loads(body)
        if isinstance(data, dict) and isinstance(data.get("session_id"), str) and isinstance(data.get("job_id"), str):
            return "woke" if wake_dead_lettered(rt, data["job_id"], data["session_id"]) else "nothing"
        job_id, step = parse_step_body(body)
        return "failed" if step_dead_lettered(rt, job_id, step) else "nothing"
    except (ValueError, PoisonMessage):
        log.error("dead letter not understood, dropped: %r", body[:200])
        return "dropped"
    except Exception:
        log.exception("dead letter not handled (the sweeper repairs its job): %r", body[:200])
        return "dropped"
