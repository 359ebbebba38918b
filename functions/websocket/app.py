"""websocket: API Gateway WebSocket API ($connect, $default, $disconnect) for live events."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from cofounder.api.websocket_app import handle

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return handle(event)
