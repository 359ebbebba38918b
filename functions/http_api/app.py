"""http_api: the founder's HTTP API (API Gateway HTTP API, payload v2, JWT authorizer)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from cofounder.api.http_app import app, normalize_content_type

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(normalize_content_type(event), context)
