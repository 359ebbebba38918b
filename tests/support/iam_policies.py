"""What a function's role allows, read from the template as AWS deploys it.

The SAM template is translated by samtranslator (:func:`localcloud.stack.cloudformation`, the transform AWS
runs), so SAM's policy templates (``DynamoDBCrudPolicy``, ``S3ReadPolicy``, ``SQSSendMessagePolicy``...) arrive
expanded into the function's ``AWS::IAM::Role`` exactly as they will be deployed; the policies SAM attaches by
ARN (AWS managed policies) are vendored below. The statements' ``Resource`` intrinsics are resolved against a
stack's physical names (:func:`localcloud.stack.plan`, or the resources a test provisioned), and an action on an
ARN is allowed the way IAM decides it: some ``Allow`` statement matches the action and the resource (``*`` and
``?`` wildcards; actions case-insensitive) and no ``Deny`` statement does. ``Condition`` blocks are not
evaluated: the only one in the template (``iam:PassedToService`` on the scheduler role) holds for the call the
code makes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from localcloud.stack import Resources, cloudformation, parameters
from localcloud.stack.intrinsics import evaluator_for

FUNCTION_TYPE = "AWS::Lambda::Function"
AWS_MANAGED_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?P<name>.+)$")

_LOGS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
MANAGED_POLICIES: Mapping[str, tuple[str, ...]] = {
    # The AWS managed policies samtranslator attaches, by name: their actions, all on Resource "*" (as AWS
    # publishes them in the IAM console / docs.aws.amazon.com "AWS managed policies for AWS Lambda").
    # Only the Lambda basics and the SQS poller: note that AWSLambdaSQSQueueExecutionRole (the SQS event
    # source's) does not allow sqs:ChangeMessageVisibility.
    "service-role/AWSLambdaBasicExecutionRole": _LOGS,
    "AWSXrayWriteOnlyAccess": (
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
    ),
    "service-role/AWSLambdaSQSQueueExecutionRole": (
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        *_LOGS,
    ),
}


class UnknownManagedPolicy(LookupError):
    pass


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]


def _glob(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE if ignore_case else 0)


@cache
def _action_glob(pattern: str) -> re.Pattern[str]:
    return _glob(pattern, ignore_case=True)


@cache
def _resource_glob(pattern: str) -> re.Pattern[str]:
    return _glob(pattern)


def _as_tuple(value: Any) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, list) else (value,)


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM's resource match: ``*`` any characters (``/`` included), ``?`` one; case-sensitive."""
    return _resource_glob(pattern).match(arn) is not None


def action_matches(pattern: str, action: str) -> bool:
    """IAM's action match: wildcards as for resources, case-insensitive (``sqs:SendMessage*``)."""
    return _action_glob(pattern).match(action) is not None


def statement_matches(statement: Statement, action: str, arn: str) -> bool:
    return any(action_matches(a, action) for a in statement.actions) and any(
        arn_matches(r, arn) for r in statement.resources
    )


def allows(statements: Iterable[Statement], action: str, arn: str) -> bool:
    """IAM's decision for one request: allowed by some Allow, denied by no Deny."""
    matching = [s for s in statements if statement_matches(s, action, arn)]
    return any(s.effect == "Allow" for s in matching) and not any(s.effect == "Deny" for s in matching)


def sample_arn(pattern: str) -> str:
    """A concrete ARN the pattern stands for (its wildcards filled in): what a check of the pattern asks about."""
    return pattern.replace("*", "sample").replace("?", "x")


def role_of(cfn: Mapping[str, Any], function_id: str) -> str:
    """The logical id of the role a function runs as (``Role: !GetAtt <Role>.Arn``, as SAM generates it)."""
    role = cfn["Resources"][function_id]["Properties"].get("Role")
    if not (isinstance(role, dict) and "Fn::GetAtt" in role):
        raise ValueError(f"{function_id}: its Role is {role!r}, not a role of the template (Fn::GetAtt)")
    target = role["Fn::GetAtt"]
    return (target.split(".", 1) if isinstance(target, str) else target)[0]


def function_ids(template: Mapping[str, Any]) -> list[str]:
    """Every Lambda function of the template (after the SAM transform), in template order."""
    return [lid for lid, res in cloudformation(template)["Resources"].items() if res.get("Type") == FUNCTION_TYPE]


def role_statements(template: Mapping[str, Any], resources: Resources, function_id: str) -> list[Statement]:
    """Every statement of the function's role (inline policies resolved, managed policies vendored)."""
    cfn = cloudformation(template)
    role_id = role_of(cfn, function_id)
    role = cfn["Resources"][role_id]["Properties"]
    evaluator = evaluator_for(cfn, resources, parameters(cfn))
    statements: list[Statement] = []
    for policy in role.get("Policies") or []:
        for raw in _as_tuple(policy["PolicyDocument"]["Statement"]):
            if "NotAction" in raw or "NotResource" in raw:
                raise ValueError(f"{role_id}/{policy['PolicyName']}: NotAction/NotResource are not evaluated here")
            resolved = evaluator.resolve(raw)
            statements.append(
                Statement(resolved["Effect"], _as_tuple(resolved["Action"]), _as_tuple(resolved["Resource"]))
            )
    for arn in evaluator.resolve(role.get("ManagedPolicyArns") or []):
        match = AWS_MANAGED_POLICY_ARN.match(arn)
        if match is None or match["name"] not in MANAGED_POLICIES:
            raise UnknownManagedPolicy(
                f"{role_id} attaches the managed policy {arn}: vendor its actions in"
                " tests/support/iam_policies.py MANAGED_POLICIES (or grant what the function needs inline)"
            )
        statements.append(Statement("Allow", MANAGED_POLICIES[match["name"]], ("*",)))
    return statements


def resource_arn(resources: Resources, logical_id: str) -> str:
    """The ARN IAM evaluates for the resource's own actions (a schedule group: the ARN of its schedules)."""
    kind = resources.types.get(logical_id)
    if kind in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::IAM::Role"):
        return resources.get_att(logical_id, "Arn")
    if kind == "AWS::SecretsManager::Secret":
        return resources.ref(logical_id)
    if kind == "AWS::Scheduler::ScheduleGroup":
        return resources.arn("scheduler", f"schedule/{resources.ref(logical_id)}")
    if kind == "AWS::ApiGatewayV2::Api":
        return resources.arn("execute-api", resources.ref(logical_id))
    raise ValueError(f"{logical_id} ({kind}): no ARN rule here; add one to tests/support/iam_policies.py")


def need_arn(resources: Resources, resource: str) -> str:
    """The ARN pattern of a table entry's resource (``PayloadBucket/jobs/*`` -> ``arn:aws:s3:::<bucket>/jobs/*``)."""
    logical_id, _, path = resource.partition("/")
    return resource_arn(resources, logical_id) + (f"/{path}" if path else "")


def logical_name(resources: Resources, arn: str) -> str:
    """An ARN named after the template's resource it belongs to (``PayloadBucket/jobs/j1/...``), for messages."""
    named = []
    for logical_id in resources.physical_ids:
        try:
            base = resource_arn(resources, logical_id)
        except ValueError:
            continue  # a resource no IAM request names
        if arn == base or arn.startswith(base + "/"):
            named.append((len(base), logical_id + arn[len(base) :]))
    return max(named)[1] if named else arn
