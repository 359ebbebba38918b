"""dead_letters: the step queue's and the wake's dead-letter queues → the job fails plainly, or wakes."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from cofounder.bootstrap import runtime
from cofounder.entrypoints.dead_letters import handle_dead_letter

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    for record in event.get("Records") or []:  # every record is handled; none stops the others
        handle_dead_letter(runtime(), record.get("body") or "")
    return {"batchItemFailures": []}
