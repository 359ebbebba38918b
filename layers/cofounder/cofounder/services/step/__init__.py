"""One TAOR step: think (one model call), act (tools), observe (results), decide what comes next."""

from cofounder.services.step.fail import fail_job
from cofounder.services.step.run import StepReport, run_step

__all__ = ["StepReport", "fail_job", "run_step"]
