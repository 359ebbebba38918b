"""The FIFO partial-batch loop of the agent step: failures reported, groups kept in order, nothing raised."""

from __future__ import annotations

import pytest

from cofounder.entrypoints.sqs_fifo_batch import process_fifo_batch, receive_count


def record(message_id: str, group: str, body: str = "ok", count: str = "1") -> dict:
    return {
        "messageId": message_id,
        "body": body,
        "attributes": {"MessageGroupId": group, "ApproximateReceiveCount": count},
    }


def run(records: list[dict]) -> tuple[dict, list[str]]:
    handled: list[str] = []

    def handle(r: dict) -> None:
        handled.append(r["messageId"])
        if r["body"] == "boom":
            raise RuntimeError("step failed")

    return process_fifo_batch(records, handle), handled


def test_a_clean_batch_reports_no_failures():
    response, handled = run([record("m1", "a"), record("m2", "b"), record("m3", "a")])
    assert response == {"batchItemFailures": []}
    assert handled == ["m1", "m2", "m3"]


def test_a_failure_holds_back_the_rest_of_its_group_only():
    records = [record("a1", "a", "boom"), record("b1", "b"), record("a2", "a"), record("b2", "b")]
    response, handled = run(records)
    assert response == {"batchItemFailures": [{"itemIdentifier": "a1"}, {"itemIdentifier": "a2"}]}
    assert handled == ["a1", "b1", "b2"]  # a2 never ran: it would have overtaken a1


def test_a_wholly_failed_batch_is_reported_not_raised():
    response, handled = run([record("a1", "a", "boom"), record("b1", "b", "boom")])
    assert response == {"batchItemFailures": [{"itemIdentifier": "a1"}, {"itemIdentifier": "b1"}]}
    assert handled == ["a1", "b1"]


def test_an_empty_batch():
    assert run([])[0] == {"batchItemFailures": []}


@pytest.mark.parametrize(("attributes", "expected"), [
    ({"ApproximateReceiveCount": "3"}, 3),
    ({"ApproximateReceiveCount": "0"}, 1),
    ({"ApproximateReceiveCount": "x"}, 1),
    ({}, 1),
    (None, 1),
])
def test_receive_count(attributes, expected):
    assert receive_count({"messageId": "m", "attributes": attributes}) == expected
