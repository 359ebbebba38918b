"""Founders read plain words when a job stops on an error; ARNs, account ids and provider request ids stay in logs."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from cofounder.domain.error_messages import cause, founder_message, is_transient
from cofounder.errors import ModelCallFailed

ARN = "arn:aws:sts::123456789012:assumed-role/cofounder-AgentStepFunctionRole-AbC/cofounder-AgentStep"


def client_error(code: str, message: str, operation: str = "GetObject") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


LEAKY = [
    client_error("AccessDenied", f"User: {ARN} is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b"),
    client_error("AccessDeniedException", f"User: {ARN} is not authorized to perform: dynamodb:Query", "Query"),
    client_error("ResourceNotFoundException", "Requested resource not found: Table: cofounder-AgentTable-XYZ", "Query"),
    client_error("ProvisionedThroughputExceededException", "Rate exceeded for arn:aws:dynamodb:us-east-1:123456789012"),
    client_error("ValidationException", "Item size has exceeded the maximum allowed size", "TransactWriteItems"),
    client_error("TransactionCanceledException", "Transaction cancelled [ConditionalCheckFailed, None]"),
    client_error("SomethingNew", "secret sauce at arn:aws:lambda:us-east-1:123456789012:function:x"),
    EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com/123456789012/cofounder-steps.fifo"),
    ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/"),
    ModelCallFailed(
        "Error code: 401 - invalid x-api-key (request_id: req_011CSHoEeqs5C35K2UUqR7Fy)", retryable=False, status=401
    ),
    ModelCallFailed(
        "Error code: 529 - Overloaded (request_id: req_011CSHoEeqs5C35K2UUqR7Fy)", retryable=True, status=529
    ),
    ModelCallFailed("cannot reach the model: [Errno 111] Connection refused to 10.0.3.7", retryable=True),
    KeyError("held_results"),
    RuntimeError(f"boom {ARN}"),
    TimeoutError("read of s3://cofounder-payloads-123456789012/jobs/x timed out"),
]


@pytest.mark.parametrize("exc", LEAKY, ids=lambda e: type(e).__name__)
def test_no_internal_detail_reaches_the_founder(exc):
    message = founder_message(exc, attempts=5)
    assert "arn:" not in message and not re.search(r"\d{12}", message)
    assert "req_" not in message and "10.0." not in message and "cofounder-" not in message
    assert str(exc) not in message and type(exc).__name__ not in message
    assert message.startswith("The step failed after 5 attempts: ") and message.endswith(".")
    assert "logs" in message


@pytest.mark.parametrize(
    ("exc", "words", "transient"),
    [
        (LEAKY[0], "refused the agent's permissions", False),
        (LEAKY[2], "resource the agent needs is missing", False),
        (LEAKY[3], "too busy", True),
        (LEAKY[7], "could not reach a cloud service", True),
        (LEAKY[9], "API key", False),
        (LEAKY[10], "overloaded", True),
        (LEAKY[11], "could not reach the model provider", True),
        (ModelCallFailed("too big", retryable=False, status=413), "larger than the model accepts", False),
        (ModelCallFailed("slow down", retryable=True, status=429), "limiting", True),
        (LEAKY[12], "internal error", False),
        (LEAKY[14], "took too long", True),
    ],
)
def test_the_kind_of_failure_is_named_with_advice_to_match(exc, words, transient):
    assert words in cause(exc)
    assert is_transient(exc) is transient
    message = founder_message(exc)
    assert message.startswith(cause(exc))
    assert ("in a few minutes" in message) is transient and ("once that is fixed" in message) is not transient


def test_one_attempt_is_not_counted():
    assert founder_message(LEAKY[12], attempts=1) == founder_message(LEAKY[12])
