"""What a founder reads when a job stops on an error (`agent.error`, the job's `error`): plain words chosen by the
kind of failure, never the exception's own text. AWS errors carry ARNs, account ids and role names, and the
model provider's errors request ids; those belong in the logs, which the caller writes with the exception.

Pure: AWS errors are recognised by their shape (`response["Error"]["Code"]`, botocore's class names), so the
domain imports no AWS code.
"""

from __future__ import annotations

from cofounder.errors import ModelCallFailed

DETAILS = "The details are in the logs."
RETRY_LATER = "Retrying the job in a few minutes should work."
RETRY_FIXED = "Retry the job once that is fixed."

_ACCESS = frozenset(
    [
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "KMSAccessDeniedException",
    ]
)
_BUSY = frozenset(
    [
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalServerError",
        "InternalError",
        "InternalFailure",
    ]
)
_MISSING = frozenset(
    [
        "ResourceNotFoundException",
        "NoSuchBucket",
        "NoSuchKey",
        "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
        "ResourceNotFound",
    ]
)
_TOO_LARGE = frozenset(["ItemCollectionSizeLimitExceededException", "EntityTooLarge", "RequestEntityTooLarge"])
_CONFLICT = frozenset(
    ["TransactionCanceledException", "ConditionalCheckFailedException", "TransactionConflictException"]
)
_UNREACHABLE = frozenset(
    [
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
        "ProxyConnectionError",
        "SSLError",
    ]
)


def _aws_code(exc: BaseException) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error")
        if isinstance(error, dict) and isinstance(error.get("Code"), str):
            return error["Code"]
    return None


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _model_message(exc: ModelCallFailed) -> str:
    status = exc.status
    if status is None:
        return "The agent could not reach the model provider."
    if status in (401, 403):
        return "The model provider refused the stack's API key. Check the Anthropic API key in the stack's secret."
    if status == 404:
        return "The model provider does not offer this job's model to the stack's API key."
    if status == 413:
        return "The conversation grew larger than the model accepts."
    if status == 429:
        return "The model provider is limiting this account's requests."
    if status >= 500:
        return "The model provider is overloaded or unavailable."
    return "The model provider refused the agent's request."


def _aws_message(code: str) -> str:
    if code in _ACCESS or code.startswith("AccessDenied"):
        return "A cloud service refused the agent's permissions."
    if code in _BUSY or "Throttl" in code:
        return "A cloud service the agent uses was too busy."
    if code in _MISSING:
        return "A cloud resource the agent needs is missing."
    if code in _TOO_LARGE:
        return "The job's data outgrew a storage limit."
    if code in _CONFLICT:
        return "The job's data kept changing while the agent saved its step."
    if code == "ValidationException":
        return "A cloud service refused the data the agent tried to save."
    return "A cloud service failed."


def cause(exc: BaseException) -> str:
    """One sentence naming the kind of failure, without any of the exception's own text."""
    if isinstance(exc, ModelCallFailed):
        return _model_message(exc)
    code = _aws_code(exc)
    if code is not None:
        return _aws_message(code)
    if _class_names(exc) & _UNREACHABLE:
        return "The agent could not reach a cloud service."
    if isinstance(exc, TimeoutError):
        return "An operation took too long."
    if isinstance(exc, MemoryError):
        return "The step ran out of memory."
    return "The agent hit an internal error."


def is_transient(exc: BaseException) -> bool:
    """Whether the same step may well succeed later (busy or unreachable services), rather than needing a fix."""
    if isinstance(exc, ModelCallFailed):
        return exc.status is None or exc.status == 429 or exc.status >= 500
    code = _aws_code(exc)
    if code is not None:
        return code in _BUSY or "Throttl" in code or code in _CONFLICT
    return bool(_class_names(exc) & _UNREACHABLE) or isinstance(exc, TimeoutError)


def founder_message(exc: BaseException, attempts: int | None = None) -> str:
    """The founder's message for a job that stopped on `exc` (after `attempts` deliveries of its step, if given),
    e.g. "The step failed after 5 attempts: a cloud service refused the agent's permissions. The details are in
    the logs. Retry the job once that is fixed." """
    what = cause(exc)
    if attempts is not None and attempts > 1:
        what = f"The step failed after {attempts} attempts: {what[0].lower()}{what[1:]}"
    return f"{what} {DETAILS} {RETRY_LATER if is_transient(exc) else RETRY_FIXED}"
