"""agent_step: one SQS FIFO message = one TAOR step of one job."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

# Load the Anthropic SDK during the init phase (full CPU burst), not on the first message.
from cofounder.adapters import anthropic_model  # noqa: F401
from cofounder.bootstrap import runtime
from cofounder.entrypoints.sqs_fifo_batch import process_fifo_batch, receive_count
from cofounder.entrypoints.step_messages import handle_step_message

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    def time_left_s() -> float:
        return context.get_remaining_time_in_millis() / 1000

    def handle(record: dict) -> None:
        handle_step_message(
            runtime(with_model=True),
            record["body"],
            receive_count(record),
            receipt_handle=record.get("receiptHandle"),
            time_left_s=time_left_s,
        )

    return process_fifo_batch(event.get("Records") or [], handle)
