"""Use cases: create a job, run a step, wake, resolve an escalation. They drive the ports only."""
