"""The functions' IAM tables (tests/support/iam_needs.py) against template.yaml: every function has a table, and its
role, as samtranslator deploys it, allows every entry of its table and what its event sources need. The tables are
checked against the code in tests/integration/test_iam_coverage.py.

The checks are shown to fail: on a template doctored to lose a needed action, for a function added without a
table, for calls a table does not list, entries never called and calls a role denies.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from localcloud.stack import cloudformation, plan
from tests.support.iam_calls import Operation, Recorded, iam_requests, operations_in_source
from tests.support.iam_coverage import calls_against_tables, table_against_template, tables_for_every_function
from tests.support.iam_needs import NEEDS
from tests.support.iam_policies import (
    MANAGED_POLICIES,
    Statement,
    UnknownManagedPolicy,
    allows,
    function_ids,
    need_arn,
    role_statements,
    sample_arn,
)

WRITE_LARGE_MESSAGES = "WriteLargeMessages"  # the HttpApiFunction statement that lets resolve write to S3
RETRY_STEPS_SOON = "RetryStepsSoon"  # the AgentStepFunction statement that lets a failed step come back soon


@pytest.fixture(scope="module")
def cfn(template) -> dict[str, Any]:
    return cloudformation(template)


@pytest.fixture(scope="module")
def resources(cfn):
    return plan(cfn)


def doctored(cfn: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A copy of the translated template with `edit` applied to its Resources (plain CloudFormation: no transform)."""
    changed = copy.deepcopy(cfn)
    edit(changed["Resources"])
    return changed


def without_statement(role_id: str, sid: str) -> Callable[[dict[str, Any]], None]:
    def edit(resources: dict[str, Any]) -> None:
        for policy in resources[role_id]["Properties"]["Policies"]:
            document = policy["PolicyDocument"]
            document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]

    return edit


def calls_for(needs: dict[str, Any], resources) -> list[Recorded]:
    """One call per table entry, on a concrete ARN the entry stands for (what a run of the code would record)."""
    return [
        Recorded(function, action, sample_arn(need_arn(resources, resource)), action)
        for function, entries in needs.items()
        for action, resource in entries
    ]


# ---------------------------------------------------------------------------------------------------------
# The tables against template.yaml
# ---------------------------------------------------------------------------------------------------------


def test_every_function_of_the_template_has_an_iam_table(template):
    assert tables_for_every_function(template) == []


def test_every_role_allows_what_its_function_needs(template, resources):
    assert table_against_template(template, resources) == []


def test_the_agent_step_may_bring_its_own_step_messages_back_soon(template, resources):
    statements = role_statements(template, resources, "AgentStepFunction")
    visibility = "sqs:ChangeMessageVisibility"
    assert allows(statements, visibility, resources.get_att("StepQueue", "Arn"))
    assert not allows(statements, visibility, resources.get_att("StepDeadLetterQueue", "Arn"))


def test_the_http_function_may_write_large_messages_to_the_payload_bucket(template, resources):
    statements = role_statements(template, resources, "HttpApiFunction")
    bucket = resources.ref("PayloadBucket")
    assert allows(statements, "s3:PutObject", f"arn:aws:s3:::{bucket}/jobs/j-1/messages/00000004.json")
    assert not allows(statements, "s3:PutObject", f"arn:aws:s3:::{bucket}/other/key")  # only where its code writes
    assert not allows(statements, "s3:DeleteObject", f"arn:aws:s3:::{bucket}/jobs/j-1/messages/00000004.json")


# ---------------------------------------------------------------------------------------------------------
# ... and they fail when they should
# ---------------------------------------------------------------------------------------------------------


def test_a_role_that_loses_a_needed_action_fails(cfn, resources):
    # The bug this table was made for: the HTTP function's role as it was, able to read the bucket only.
    before_the_fix = doctored(cfn, without_statement("HttpApiFunctionRole", WRITE_LARGE_MESSAGES))
    assert table_against_template(before_the_fix, resources) == [
        "HttpApiFunction needs s3:PutObject on PayloadBucket/jobs/*/messages/*, which its role in template.yaml"
        " does not allow"
    ]

    def no_step_queue_sends(resources: dict[str, Any]) -> None:
        policies = resources["WakeFunctionRole"]["Properties"]["Policies"]
        policies[:] = [p for p in policies if "sqs:SendMessage*" not in str(p["PolicyDocument"])]

    assert table_against_template(doctored(cfn, no_step_queue_sends), resources) == [
        "WakeFunction needs sqs:SendMessage on StepQueue, which its role in template.yaml does not allow"
    ]


def test_a_function_added_without_a_table_fails_with_a_clear_message(cfn):
    def add_a_function(resources: dict[str, Any]) -> None:
        resources["NewFunction"] = copy.deepcopy(resources["WakeFunction"])

    every_table = {function_id: frozenset() for function_id in function_ids(cfn)}
    assert tables_for_every_function(doctored(cfn, add_a_function), every_table) == [
        "NewFunction is a function of template.yaml without an IAM table: add what its code calls to"
        " tests/support/iam_needs.py NEEDS (and a scenario to tests/integration/test_iam_coverage.py)"
    ]
    assert tables_for_every_function(cfn, {**every_table, "GoneFunction": frozenset()}) == [
        "tests/support/iam_needs.py NEEDS has a table for GoneFunction, which template.yaml does not have"
    ]


def test_a_known_gap_is_tolerated_while_it_lasts_and_must_leave_known_gaps_once_fixed(cfn, resources):
    # The gap KNOWN_GAPS was made for: the agent step's role before RetryStepsSoon.
    gap = {("AgentStepFunction", "sqs:ChangeMessageVisibility"): "a failed step waits out the visibility timeout"}
    before_the_fix = doctored(cfn, without_statement("AgentStepFunctionRole", RETRY_STEPS_SOON))
    assert table_against_template(before_the_fix, resources) == [
        "AgentStepFunction needs sqs:ChangeMessageVisibility on StepQueue, which its role in template.yaml does not"
        " allow"
    ]
    every_entry_called = calls_for(NEEDS, resources)
    assert table_against_template(before_the_fix, resources, known_gaps=gap) == []
    assert calls_against_tables(every_entry_called, before_the_fix, resources, known_gaps=gap) == []

    fixed = [
        "AgentStepFunction is now allowed sqs:ChangeMessageVisibility: remove it from tests/support/iam_needs.py"
        " KNOWN_GAPS"
    ]
    assert table_against_template(cfn, resources, known_gaps=gap) == fixed
    assert calls_against_tables(every_entry_called, cfn, resources, known_gaps=gap) == fixed


def test_the_calls_comparison_reports_unlisted_calls_entries_never_called_and_denied_calls(cfn, resources):
    every_entry_called = calls_for(NEEDS, resources)
    assert calls_against_tables(every_entry_called, cfn, resources) == []

    s3_write = ("s3:PutObject", "PayloadBucket/jobs/*/messages/*")
    lacking = {**NEEDS, "HttpApiFunction": NEEDS["HttpApiFunction"] - {s3_write}}
    assert calls_against_tables(every_entry_called, cfn, resources, lacking) == [
        "HttpApiFunction calls s3:PutObject on PayloadBucket/jobs/sample/messages/sample (by s3:PutObject), which"
        " its table in tests/support/iam_needs.py lacks"
    ]
    never_writes = [c for c in every_entry_called if (c.function, c.action) != ("HttpApiFunction", "s3:PutObject")]
    assert calls_against_tables(never_writes, cfn, resources) == [
        "HttpApiFunction's table lists s3:PutObject on PayloadBucket/jobs/*/messages/*, which it never called: a"
        " stale entry, or a path no scenario reaches yet"
    ]
    before_the_fix = doctored(cfn, without_statement("HttpApiFunctionRole", WRITE_LARGE_MESSAGES))
    assert calls_against_tables(every_entry_called, before_the_fix, resources) == [
        "HttpApiFunction calls s3:PutObject on PayloadBucket/jobs/sample/messages/sample (by s3:PutObject), which"
        " its role does not allow: AccessDenied on AWS"
    ]
    no_wake = [c for c in every_entry_called if c.function != "WakeFunction"]
    assert calls_against_tables(no_wake, cfn, resources) == [
        "WakeFunction: no scenario runs its handler: add one to tests/integration/test_iam_coverage.py"
    ]


# ---------------------------------------------------------------------------------------------------------
# The pieces: IAM's matching, what IAM checks for a call, the source scan
# ---------------------------------------------------------------------------------------------------------


def test_iam_matching_wildcards_case_and_explicit_deny():
    queue = "arn:aws:sqs:us-east-1:123456789012:q.fifo"
    sends = Statement("Allow", ("sqs:SendMessage*",), (queue,))
    assert allows([sends], "sqs:SendMessage", queue)
    assert allows([sends], "SQS:sendmessagebatch", queue)  # actions are case-insensitive
    assert not allows([sends], "sqs:ChangeMessageVisibility", queue)
    assert not allows([sends], "sqs:SendMessage", queue.replace("q.fifo", "other.fifo"))
    objects = Statement("Allow", ("s3:GetObject",), ("arn:aws:s3:::b/jobs/*/messages/*",))
    assert allows([objects], "s3:GetObject", "arn:aws:s3:::b/jobs/j/messages/1.json")
    assert not allows([objects], "s3:GetObject", "arn:aws:s3:::b/jobs/j/journal/1.json")
    assert not allows([objects], "s3:GetObject", "arn:aws:s3:::B/jobs/j/messages/1.json")  # resources are not
    deny = Statement("Deny", ("s3:*",), ("*",))
    assert not allows([objects, deny], "s3:GetObject", "arn:aws:s3:::b/jobs/j/messages/1.json")


def test_what_iam_checks_for_a_transaction_an_index_query_a_schedule_and_a_batch_delete():
    table = "arn:aws:dynamodb:us-east-1:1:table/t"
    transaction = {
        "TransactItems": [
            {"Put": {"TableName": "t"}},
            {"Update": {"TableName": "t"}},
            {"Delete": {"TableName": "t"}},
            {"ConditionCheck": {"TableName": "t"}},
        ]
    }
    assert iam_requests(Operation("dynamodb", "TransactWriteItems"), transaction, "us-east-1", "1") == [
        ("dynamodb:PutItem", table),
        ("dynamodb:UpdateItem", table),
        ("dynamodb:DeleteItem", table),
        ("dynamodb:ConditionCheckItem", table),
    ]
    query = {"TableName": "t", "IndexName": "GSI1"}
    assert iam_requests(Operation("dynamodb", "Query"), query, "us-east-1", "1") == [
        ("dynamodb:Query", f"{table}/index/GSI1")
    ]
    schedule = {"Name": "wake-s", "GroupName": "g", "Target": {"RoleArn": "arn:aws:iam::1:role/r"}}
    assert iam_requests(Operation("scheduler", "CreateSchedule"), schedule, "us-east-1", "1") == [
        ("scheduler:CreateSchedule", "arn:aws:scheduler:us-east-1:1:schedule/g/wake-s"),
        ("iam:PassRole", "arn:aws:iam::1:role/r"),
    ]
    delete = {"Bucket": "b", "Delete": {"Objects": [{"Key": "jobs/j/a.json"}, {"Key": "jobs/j/b.json"}]}}
    assert iam_requests(Operation("s3", "DeleteObjects"), delete, "us-east-1", "1") == [
        ("s3:DeleteObject", "arn:aws:s3:::b/jobs/j/a.json"),
        ("s3:DeleteObject", "arn:aws:s3:::b/jobs/j/b.json"),
    ]
    url = {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q.fifo", "ReceiptHandle": "h"}
    assert iam_requests(Operation("sqs", "ChangeMessageVisibility"), url, "us-east-1", "1") == [
        ("sqs:ChangeMessageVisibility", "arn:aws:sqs:us-east-1:1:q.fifo")
    ]


def test_the_source_scan_finds_every_boto3_call_by_operation_name(tmp_path):
    found = {(str(c.operation), c.where.split(":")[0]) for c in operations_in_source()}
    assert ("s3:PutObject", "layers/cofounder/cofounder/adapters/s3_blobs.py") in found
    assert ("sqs:ChangeMessageVisibility", "layers/cofounder/cofounder/adapters/sqs_queue.py") in found
    assert ("secretsmanager:GetSecretValue", "layers/cofounder/cofounder/bootstrap.py") in found

    handler = tmp_path / "fn" / "app.py"
    handler.parent.mkdir()
    handler.write_text(
        "import boto3\n"
        'sqs, s3 = boto3.client("sqs"), boto3.client("s3")\n'
        "def handle(event, context):\n"
        '    sqs.delete_message(QueueUrl="u", ReceiptHandle="h")\n'
        '    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="b"):\n'
        "        pass\n"
    )
    assert [(str(c.operation), c.where.rsplit("/", 1)[1]) for c in operations_in_source((tmp_path,))] == [
        ("s3:ListObjectsV2", "app.py:5"),
        ("sqs:DeleteMessage", "app.py:4"),
    ]


def test_an_unknown_managed_policy_asks_to_be_vendored(cfn, resources):
    def attach(resources: dict[str, Any]) -> None:
        resources["WakeFunctionRole"]["Properties"]["ManagedPolicyArns"].append("arn:aws:iam::aws:policy/Other")

    assert "service-role/AWSLambdaSQSQueueExecutionRole" in MANAGED_POLICIES
    with pytest.raises(UnknownManagedPolicy, match="vendor its actions"):
        role_statements(doctored(cfn, attach), resources, "WakeFunction")
