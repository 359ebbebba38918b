"""sweeper: on a schedule, repairs jobs left stuck (idle working jobs, overdue wakes) and deletes expired ones."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from cofounder import clock
from cofounder.bootstrap import runtime
from cofounder.services.repairs import sweep

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    report = sweep(runtime(), clock.now())
    logger.info("swept", extra={"resent": report.resent, "woken": report.woken, "purged": report.purged})
    return {"resent": report.resent, "woken": report.woken, "purged": report.purged}
