"""wake: target of the one-time EventBridge schedule; payload {job_id, session_id}."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from cofounder.bootstrap import runtime
from cofounder.services.wake import wake

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    job_id, session_id = event.get("job_id"), event.get("session_id")
    if not isinstance(job_id, str) or not isinstance(session_id, str):
        logger.error("wake event without job_id/session_id", extra={"wake_event": event})
        return {"woke": False}
    return {"woke": wake(runtime(), job_id, session_id)}
