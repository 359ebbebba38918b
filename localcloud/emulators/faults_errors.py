"""AWS errors as each service answers them, and which status and code make botocore retry or give up.

botocore (1.44, standard mode by default) retries a response whose status is 500, 502, 503 or 504, or 429 with a
code the operation does not model, or whose code is a throttling or transient one (``ThrottlingException``,
``RequestThrottled``, ``TooManyRequestsException``, ``SlowDown``, ``RequestTimeout``...), whatever its status;
legacy mode retries the same statuses and throttling codes. Anything else it raises at once.

Bodies follow each protocol: JSON 1.0 ``__type`` (DynamoDB; SQS adds ``x-amzn-query-error``, which botocore reads
the code from), the query protocol's ``<ErrorResponse>``, S3's ``<Error>`` (no body for HEAD) and REST-JSON's
``x-amzn-ErrorType`` header (Scheduler, Lambda).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

__all__ = ["RETRIED_STATUSES", "ErrorCodes", "choose_error", "error_response"]

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
_SERVER_ERROR_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class ErrorCodes:
    """A service's error codes: the retryable ones and, for the rest, the code a 4xx status comes with."""

    internal: str  # 500 (also 502, 504)
    unavailable: str  # 503
    throttled: str  # retried by its code, whatever the status (a 4xx that botocore retries)
    throttled_status: int
    invalid: str  # 400, not retried
    by_status: dict[int, str] = field(default_factory=dict)  # other non-retryable 4xx
    json_namespace: str = ""  # the JSON 1.0 protocol's ``__type`` prefix


CODES = {
    "dynamodb": ErrorCodes(
        internal="InternalServerError",
        unavailable="ServiceUnavailable",
        throttled="ThrottlingException",
        throttled_status=400,
        invalid="ValidationException",
        by_status={403: "AccessDeniedException", 404: "ResourceNotFoundException"},
        json_namespace="com.amazonaws.dynamodb.v20120810",
    ),
    "sqs": ErrorCodes(
        internal="InternalFailure",
        unavailable="ServiceUnavailable",
        throttled="RequestThrottled",
        throttled_status=400,
        invalid="InvalidParameterValue",
        by_status={403: "AccessDenied", 404: "QueueDoesNotExist"},
        json_namespace="com.amazonaws.sqs",
    ),
    "s3": ErrorCodes(
        internal="InternalError",
        unavailable="SlowDown",
        throttled="RequestTimeout",
        throttled_status=400,
        invalid="InvalidRequest",
        by_status={403: "AccessDenied", 404: "NoSuchKey", 409: "OperationAborted"},
    ),
    "scheduler": ErrorCodes(
        internal="InternalServerException",
        unavailable="ServiceUnavailable",
        throttled="ThrottlingException",
        throttled_status=429,
        invalid="ValidationException",
        by_status={
            402: "ServiceQuotaExceededException",
            403: "AccessDeniedException",
            404: "ResourceNotFoundException",
            409: "ConflictException",
        },
    ),
    "lambda": ErrorCodes(
        internal="ServiceException",
        unavailable="ServiceUnavailable",
        throttled="TooManyRequestsException",
        throttled_status=429,
        invalid="InvalidParameterValueException",
        by_status={
            403: "AccessDeniedException",
            404: "ResourceNotFoundException",
            409: "ResourceConflictException",
            413: "RequestTooLargeException",
        },
    ),
}


def choose_error(service: str, status: int | None, retryable: bool | None) -> tuple[int, str, bool]:
    """(status, code, retryable) of the error to answer; ValueError when botocore could not treat it as asked."""
    codes = CODES[service]
    if retryable is None:
        retryable = status is None or status in RETRIED_STATUSES
    if status is None:
        return (500, codes.internal, True) if retryable else (400, codes.invalid, False)
    if not retryable:
        if status in RETRIED_STATUSES:
            raise ValueError(f"botocore retries status {status} whatever the code: give a 4xx other than 429")
        if status >= 500:
            return status, codes.internal, False
        return status, codes.by_status.get(status, codes.invalid), False
    if status == 503:
        return status, codes.unavailable, True
    if status in _SERVER_ERROR_STATUSES:
        return status, codes.internal, True
    if status >= 500:
        raise ValueError(f"botocore does not retry status {status}: give 500, 502, 503, 504 or a 4xx")
    return status, codes.throttled, True


_JSON_1_0 = "application/x-amz-json-1.0"


def error_response(
    service: str, protocol: str, status: int, code: str, message: str, *, head: bool = False
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of the error as the service sends it over `protocol`."""
    request_id = str(uuid.uuid4())
    fault = "Receiver" if status >= 500 else "Sender"
    headers = [("x-amzn-RequestId", request_id)]
    if protocol == "json":
        body = json.dumps({"__type": f"{CODES[service].json_namespace}#{code}", "message": message}).encode()
        headers.append(("Content-Type", _JSON_1_0))
        if service == "sqs":  # SQS is awsQueryCompatible: botocore takes the code from this header
            headers.append(("x-amzn-query-error", f"{code};{fault}"))
    elif protocol == "query":
        body = (
            "<ErrorResponse><Error>"
            f"<Type>{fault}</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message><Detail/>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    elif protocol == "rest-xml":
        host_id = uuid.uuid4().hex
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>{host_id}</HostId></Error>"
        ).encode()
        headers = [("x-amz-request-id", request_id), ("x-amz-id-2", host_id), ("Content-Type", "application/xml")]
    else:
        payload = {"Type": "Service" if fault == "Receiver" else "User", "message": message}
        body = json.dumps(payload if service == "lambda" else {"Message": message}).encode()
        headers += [("x-amzn-ErrorType", code), ("Content-Type", "application/json")]
    if head:
        body = b""
    headers.append(("Content-Length", str(len(body))))
    return status, headers, body
