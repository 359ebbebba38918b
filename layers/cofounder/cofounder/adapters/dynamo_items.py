"""The single-table layout: keys and item <-> record conversion for the agent table."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from decimal import Decimal
from typing import Any

from cofounder.domain.job import Escalation, Job, Message
from cofounder.domain.states import TERMINAL, AgentState

JOB_SK = "JOB"
LOAD_FROM, LOAD_TO = "JOB", "NOTE$"  # JOB, MSG#..., NOTE#... sort together: one query loads a step's data
EVENT_ID_WIDTH = 10


def job_pk(job_id: str) -> str:
    return f"JOB#{job_id}"


def message_sk(seq: int) -> str:
    return f"MSG#{seq:08d}"


def event_sk(event_id: int) -> str:
    return f"EVT#{event_id:0{EVENT_ID_WIDTH}d}"


def note_sk(key: str) -> str:
    return f"NOTE#{key}"


def journal_sk(step: int) -> str:
    """Outside LOAD_FROM..LOAD_TO: a step's load never reads journals."""
    return f"STEP#{step:08d}"


def escalation_sk(escalation_id: str) -> str:
    return f"ESC#{escalation_id}"


def ledger_key(owner_id: str, day: str) -> dict[str, str]:
    return {"pk": f"OWNER#{owner_id}", "sk": f"SPEND#{day}"}


IDEMPOTENCY_TTL_S = 24 * 3600


def idempotency_key(owner_id: str, key: str) -> dict[str, str]:
    """The job a founder's Idempotency-Key created (under the owner: keys of two founders never meet)."""
    return {"pk": f"OWNER#{owner_id}", "sk": f"IDEM#{key}"}


def reservation_attr(key: str) -> str:
    return f"r:{key}"


def _without_none(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}


ACTIVITY_INDEX = "GSI2"
WORKING, SLEEPING, FINISHED = "WORKING", "SLEEPING", "FINISHED"
"""Partitions of the sparse activity index (gsi2pk): working jobs by when they last changed, sleeping jobs by
when they wake, finished jobs by when they finished. A job waiting for its founder is in none."""


def activity(job: Job) -> tuple[str, str] | None:
    """(gsi2pk, gsi2sk) of the job in the activity index, or None."""
    changed = job.updated_at or job.created_at
    if job.state is AgentState.WORKING:
        return WORKING, f"{changed}#{job.job_id}"
    if job.state is AgentState.SLEEPING:
        return SLEEPING, f"{job.wake_at or changed}#{job.job_id}"
    if job.state in TERMINAL:
        return FINISHED, f"{changed}#{job.job_id}"
    return None


def job_to_item(job: Job, held_results_key: str | None = None) -> dict[str, Any]:
    """`held_results_key`: the held results live in S3 under that key (too large for the item)."""
    item = asdict(job)
    item.update(
        pk=job_pk(job.job_id),
        sk=JOB_SK,
        gsi1pk=f"OWNER#{job.owner_id}",
        gsi1sk=f"JOB#{job.created_at}#{job.job_id}",
        state=job.state.value,
        plan=list(job.plan),
        recent_calls=list(job.recent_calls),
        held_results=None if held_results_key else json.dumps(list(job.held_results)),
        held_results_key=held_results_key,
    )
    index = activity(job)
    if index is not None:
        item["gsi2pk"], item["gsi2sk"] = index
    return _without_none(item)


_INT_FIELDS = {"version", "step", "model_calls", "last_event_id", "message_count", "cap_from", "woke_for_step"}
_JOB_FIELDS = {f.name for f in fields(Job)}


def item_to_job(item: dict[str, Any]) -> Job:
    data = {k: v for k, v in item.items() if k in _JOB_FIELDS}
    for name in _INT_FIELDS & data.keys():
        data[name] = int(data[name])
    data["state"] = AgentState(data["state"])
    data["daily_budget_usd"] = Decimal(data["daily_budget_usd"])
    data["cost_usd"] = Decimal(data.get("cost_usd", 0))
    data["plan"] = tuple(data.get("plan", ()))
    data["recent_calls"] = tuple(data.get("recent_calls", ()))
    data["held_results"] = tuple(json.loads(data.get("held_results") or "[]"))
    return Job(**data)


def message_to_item(job_id: str, message: Message, content_key: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": job_pk(job_id), "sk": message_sk(message.seq), "role": message.role}
    if content_key:
        item["content_key"] = content_key
    else:
        item["content"] = json.dumps(list(message.content))
    return item


def escalation_to_item(escalation: Escalation) -> dict[str, Any]:
    item = asdict(escalation)
    item.update(
        pk=job_pk(escalation.job_id),
        sk=escalation_sk(escalation.escalation_id),
        gsi1pk=f"ESC#{escalation.escalation_id}",
        gsi1sk="ESC",
    )
    return _without_none(item)


_ESCALATION_FIELDS = {f.name for f in fields(Escalation)}


def item_to_escalation(item: dict[str, Any]) -> Escalation:
    return Escalation(**{k: v for k, v in item.items() if k in _ESCALATION_FIELDS})


def event_to_item(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "pk": job_pk(event["job_id"]),
        "sk": event_sk(event["event_id"]),
        "event_id": event["event_id"],
        "event": json.dumps(event, default=str),
    }
