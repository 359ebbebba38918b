"""agent_step: one SQS FIFO message = one TAOR step of one job."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

# Load the Anthropic SDK during the init phase (full CPU burst), not on the first message.
from cofounder.adapters import anthropic_model  # noqa: F401
from cofounder.bootstrap import runtime
from cofounder.entrypoints.step_messages import handle_step_message

logger = Logger()
processor = SqsFifoPartialProcessor(skip_group_on_error=True)
# Report a wholly failed batch as batchItemFailures too (same redelivery, no error noise in the logs).
processor.raise_on_entire_batch_failure = False


def record_handler(record: SQSRecord) -> None:
    receive_count = int(record.attributes.approximate_receive_count or 1)
    handle_step_message(runtime(with_model=True), record.body, receive_count)


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
