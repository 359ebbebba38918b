"""What each Lambda function of template.yaml needs from IAM: every AWS action its code makes, on which resource.

One entry per function of the template: a function without one fails tests/unit/test_iam_policies.py, which also
checks every entry against the function's role in the template (SAM's policy templates expanded by samtranslator).
tests/integration/test_iam_coverage.py checks the entries against the code: it runs every handler through the
scenarios that reach each AWS call of the code and records the calls, which must be exactly these.

A resource is a logical id of the template, optionally followed by a path under its ARN (``*`` matches anything):
``AgentTable/index/GSI1`` (a query on an index), ``PayloadBucket/jobs/*/messages/*`` (objects),
``WakeScheduleGroup/*`` (the group's schedules), ``WebSocketApi/*`` (``@connections`` of every stage).

Every function also needs what its event sources read with its role (the SQS event source mapping's
``sqs:ReceiveMessage`` / ``DeleteMessage`` / ``GetQueueAttributes``): tests/unit/test_iam_policies.py derives
those from the template's event source mappings, they are not listed here.
"""

from __future__ import annotations

from collections.abc import Mapping

Need = tuple[str, str]
"""(IAM action, resource)"""

_PUSH: frozenset[Need] = frozenset(
    {
        # WebSocketPusher: the job's subscribers (the ByJob index), posts to each, and removes a gone connection
        ("dynamodb:Query", "ConnectionsTable/index/ByJob"),
        ("execute-api:ManageConnections", "WebSocketApi/*"),
        ("dynamodb:Query", "ConnectionsTable"),
        ("dynamodb:DeleteItem", "ConnectionsTable"),
    }
)

_COMMIT: frozenset[Need] = frozenset(
    {
        # transition.apply: the job read, the commit (TransactWriteItems: a PutItem per item), the next step
        ("dynamodb:GetItem", "AgentTable"),
        ("dynamodb:PutItem", "AgentTable"),
        ("sqs:SendMessage", "StepQueue"),
    }
)

NEEDS: Mapping[str, frozenset[Need]] = {
    "AgentStepFunction": _PUSH
    | _COMMIT
    | {
        ("secretsmanager:GetSecretValue", "AnthropicApiKeySecret"),  # the Anthropic API key, at cold start
        ("dynamodb:Query", "AgentTable"),  # the conversation
        ("dynamodb:UpdateItem", "AgentTable"),  # the ledger's reservation and settlement, the journal's results
        ("dynamodb:DeleteItem", "AgentTable"),  # the commit closes the step's journal
        ("s3:PutObject", "PayloadBucket/jobs/*/messages/*"),  # a large message
        ("s3:GetObject", "PayloadBucket/jobs/*/messages/*"),
        ("s3:PutObject", "PayloadBucket/jobs/*/journal/*"),  # a large journaled model response
        ("s3:GetObject", "PayloadBucket/jobs/*/journal/*"),
        ("sqs:ChangeMessageVisibility", "StepQueue"),  # a failed step comes back within seconds
        ("scheduler:CreateSchedule", "WakeScheduleGroup/*"),  # sleep until the budget refreshes
        ("scheduler:GetSchedule", "WakeScheduleGroup/*"),  # ... when that session's schedule already exists
        ("scheduler:UpdateSchedule", "WakeScheduleGroup/*"),
        ("iam:PassRole", "SchedulerRole"),  # the schedule invokes the wake function as SchedulerRole
    },
    "WakeFunction": _PUSH | _COMMIT,
    "HttpApiFunction": _PUSH
    | _COMMIT
    | {
        ("dynamodb:Query", "AgentTable"),  # events, escalations
        ("dynamodb:Query", "AgentTable/index/GSI1"),  # a founder's jobs, an escalation by id
        ("s3:PutObject", "PayloadBucket/jobs/*/messages/*"),  # resolve: the decision with large held results
    },
    "SweeperFunction": _PUSH
    | _COMMIT  # a job whose wake is overdue is woken (no schedule: it wakes now); an idle job's step is sent again
    | {
        ("dynamodb:Query", "AgentTable/index/GSI2"),  # the activity index: idle, overdue and expired jobs
        ("dynamodb:Query", "AgentTable"),  # purge: every item of an expired job
        ("dynamodb:BatchWriteItem", "AgentTable"),  # ... deleted 25 at a time
        ("s3:ListBucket", "PayloadBucket"),  # ... its objects under jobs/{job_id}/ (ListObjectsV2)
        ("s3:DeleteObject", "PayloadBucket/jobs/*"),  # ... deleted a page at a time (DeleteObjects)
    },
    "DeadLetterFunction": _PUSH
    | _COMMIT  # a dead-lettered wake wakes its job
    | {
        # a dead-lettered step fails its job: the commit settles or releases the step's reservation (an UpdateItem
        # of the ledger; the open one read first) and closes its journal, read first (a large answer: from S3)
        ("dynamodb:UpdateItem", "AgentTable"),
        ("dynamodb:DeleteItem", "AgentTable"),
        ("s3:GetObject", "PayloadBucket/jobs/*/journal/*"),
    },
    "WebSocketFunction": {
        ("dynamodb:PutItem", "ConnectionsTable"),  # $connect, subscribe
        ("dynamodb:GetItem", "ConnectionsTable"),  # the connection's owner
        ("dynamodb:DeleteItem", "ConnectionsTable"),  # unsubscribe, $disconnect
        ("dynamodb:Query", "ConnectionsTable"),  # $disconnect: the connection's subscriptions
        ("dynamodb:GetItem", "AgentTable"),  # the job subscribed to (owned?)
        ("dynamodb:Query", "AgentTable"),  # the replay of missed events
        ("execute-api:ManageConnections", "WebSocketApi/*"),  # the replay, the replies
    },
}

KNOWN_GAPS: Mapping[tuple[str, str], str] = {}
"""Needs of a function that its role does not meet yet: (function, action) -> what goes wrong on AWS. The checks
tolerate them while they remain gaps, and fail once one is fixed, so that its entry here is removed."""
