"""The step journal: a paid model call is paid once and a journaled tool runs once, however often the step's
message comes back; a step that fails for good settles what it paid and releases what it did not."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import pytest
from botocore.exceptions import ClientError
from msgspec import Meta

from cofounder.domain import events
from cofounder.tools import ToolContext, ToolRegistry
from cofounder.tools.registry import FunctionTool
from tests.support.agent import FINISH, OWNER, note, start, step, tool_turn, types

DAY = "2026-11-25"
USAGE = {"input_tokens": 10_000, "output_tokens": 1000}  # haiku: $0.015


def ledger(rt):
    return rt.store._get({"pk": f"OWNER#{OWNER}", "sk": f"SPEND#{DAY}"})


def fail_commits(rt, times: int) -> dict[str, int]:
    """The next `times` TransactWriteItems fail as DynamoDB would (a 500 botocore does not retry)."""
    seen = {"failed": 0}

    def refuse(**_):
        if seen["failed"] < times:
            seen["failed"] += 1
            raise ClientError({"Error": {"Code": "ValidationException", "Message": "injected"}}, "TransactWriteItems")

    rt.store._db.meta.events.register("before-call.dynamodb.TransactWriteItems", refuse)
    return seen


@pytest.mark.parametrize("receive_count", [2, 1])  # SQS redelivery, or a deliberate re-send of the step
def test_a_commit_that_fails_after_a_paid_call_never_pays_again(rt, emulator, clock, receive_count):
    job = start(rt, emulator, [note(0, usage=USAGE), FINISH])
    fail_commits(rt, 1)
    with pytest.raises(ClientError):
        step(rt, job.job_id)
    assert len(emulator.requests) == 1 and rt.store.get_job(job.job_id).step == 0  # paid, not committed

    step(rt, job.job_id, receive_count=receive_count)
    assert len(emulator.requests) == 1  # resumed from the journal
    assert rt.store.spent(OWNER, DAY) == Decimal("0.015")
    assert types(rt, job.job_id).count(events.STEP_COMPLETED) == 1
    row = ledger(rt)
    assert row["used"] == row["spent"] and not [k for k in row if k.startswith("r:")]
    assert rt.journal.read(job.job_id, 0) is None  # closed by the commit


def test_a_journaled_tool_runs_once_across_deliveries(rt, emulator, clock):
    runs: list[str] = []

    def send_invoice(ctx: ToolContext, to: Annotated[str, Meta(max_length=100)]) -> str:
        """Send an invoice (an effect outside the step's commit)."""
        runs.append(to)
        return f"invoice {len(runs)} sent to {to}"

    rt.tools = ToolRegistry([*rt.tools, FunctionTool.from_function(send_invoice, "send_invoice", journaled=True)])
    job = start(rt, emulator, [tool_turn("send_invoice", {"to": "acme"}), FINISH])
    fail_commits(rt, 1)
    with pytest.raises(ClientError):
        step(rt, job.job_id)
    step(rt, job.job_id, receive_count=2)
    assert runs == ["acme"]
    (answer,) = rt.store.load(job.job_id).messages[2].content
    assert answer["content"] == "invoice 1 sent to acme"  # the journaled result, not a second run


def test_a_step_that_always_fails_after_paying_ends_in_error_with_its_cost_settled(rt, emulator, clock):
    job = start(rt, emulator, [note(0, usage=USAGE), FINISH])
    seen = fail_commits(rt, rt.settings.max_receive_count)  # every delivery's commit; fail_job's goes through
    for delivery in range(1, rt.settings.max_receive_count):
        with pytest.raises(ClientError):
            step(rt, job.job_id, receive_count=delivery)
    report = step(rt, job.job_id, receive_count=rt.settings.max_receive_count)
    assert seen["failed"] == rt.settings.max_receive_count
    assert "failed" in report.outcome.reason
    failed = rt.store.get_job(job.job_id)
    assert failed.state == "error" and failed.cost_usd == Decimal("0.015") and failed.model_calls == 1
    assert len(emulator.requests) == 1
    row = ledger(rt)
    assert row["spent"] == row["used"] == Decimal("0.015") and not [k for k in row if k.startswith("r:")]


def test_a_step_that_fails_before_paying_releases_its_reservation(rt, emulator, clock, monkeypatch):
    job = start(rt, emulator, [note(0, usage=USAGE), FINISH])

    def broken(*_, **__):
        raise RuntimeError("the journal table is gone")

    monkeypatch.setattr(rt.journal, "record_call", broken)
    report = step(rt, job.job_id, receive_count=rt.settings.max_receive_count)
    assert rt.store.get_job(job.job_id).state == "error" and "internal error" in report.outcome.reason
    row = ledger(rt)
    assert row["used"] == 0 and not [k for k in row if k.startswith("r:")]
