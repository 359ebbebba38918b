"""localcloud.stack.functions: the functions of the translated template, their environment, their event sources."""

from __future__ import annotations

import json

import pytest

from localcloud.stack import (
    Resources,
    TemplateError,
    event_source_mappings,
    function_environment,
    functions,
    plan,
)
from tests.localcloud.stack.support import FUNCTIONS, REGION, client


def test_functions_as_samtranslator_made_them(sam_template: dict) -> None:
    specs = functions(sam_template)
    assert set(specs) == set(FUNCTIONS)
    step = specs["AgentStepFunction"]
    assert (step.code_uri, step.handler, step.runtime, step.timeout, step.memory_size) == (
        "functions/agent_step/",
        "app.lambda_handler",
        "python3.13",
        300,
        512,
    )
    assert step.architectures == ("arm64",)
    assert (step.handler_module, step.handler_function) == ("app", "lambda_handler")
    (layer,) = step.properties["Layers"]
    assert layer["Ref"].startswith("CofounderLayer")  # samtranslator names the layer version with a hash
    assert step.properties["Role"] == {"Fn::GetAtt": ["AgentStepFunctionRole", "Arn"]}
    # Globals.Function variables first, then the function's own.
    global_vars = list(sam_template["Globals"]["Function"]["Environment"]["Variables"])
    own = list(sam_template["Resources"]["AgentStepFunction"]["Properties"]["Environment"]["Variables"])
    assert list(step.environment) == global_vars + own
    code_uris = {lid: spec.code_uri for lid, spec in specs.items()}
    assert code_uris == {
        "AgentStepFunction": "functions/agent_step/",
        "WakeFunction": "functions/wake/",
        "SweeperFunction": "functions/sweeper/",
        "DeadLetterFunction": "functions/dead_letters/",
        "HttpApiFunction": "functions/http_api/",
        "WebSocketFunction": "functions/websocket/",
    }
    assert {lid: spec.timeout for lid, spec in specs.items()} == {
        "AgentStepFunction": 300,
        "WakeFunction": 30,
        "SweeperFunction": 120,
        "DeadLetterFunction": 60,
        "HttpApiFunction": 15,
        "WebSocketFunction": 30,
    }


def test_functions_of_plain_cloudformation() -> None:
    template = {
        "Resources": {
            "F": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "m.h", "Code": {"ZipFile": "x"}}},
        }
    }
    (spec,) = functions(template).values()
    assert (spec.code_uri, spec.handler, spec.timeout, spec.memory_size, spec.architectures) == (
        "",
        "m.h",
        3,
        128,
        ("x86_64",),
    )
    assert spec.environment == {}


def test_step_queue_visibility_covers_six_step_timeouts(sam_template: dict) -> None:
    timeout = functions(sam_template)["AgentStepFunction"].timeout
    visibility = sam_template["Resources"]["StepQueue"]["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * timeout


def test_no_function_environment_refers_to_wake_function_itself(sam_template: dict) -> None:
    env = json.dumps(functions(sam_template)["WakeFunction"].environment)
    assert "WakeFunction" not in env and "SchedulerRole" not in env


# ------------------------------------------------------------------------------------------------------
# event source mappings
# ------------------------------------------------------------------------------------------------------


def test_the_step_queue_feeds_the_agent_step(sam_template: dict) -> None:
    mappings = {m.logical_id: m for m in event_source_mappings(sam_template)}
    assert {(m.function, m.source) for m in mappings.values()} == {
        ("AgentStepFunction", "StepQueue"),
        ("DeadLetterFunction", "StepDeadLetterQueue"),
        ("DeadLetterFunction", "WakeDeadLetterQueue"),
    }
    mapping = mappings["AgentStepFunctionStep"]
    assert mapping.batch_size == 1
    assert mapping.function_response_types == ("ReportBatchItemFailures",)
    assert mapping.report_batch_item_failures and mapping.enabled
    assert mapping.properties["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "StepMaxConcurrency"}}
    assert mapping.maximum_concurrency is None  # a parameter, not a literal


def test_event_source_mappings_of_plain_cloudformation() -> None:
    template = {
        "Resources": {
            "Q": {"Type": "AWS::SQS::Queue"},
            "F": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "M": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Fn::GetAtt": ["F", "Arn"]},
                    "EventSourceArn": {"Fn::GetAtt": ["Q", "Arn"]},
                    "Enabled": False,
                    "ScalingConfig": {"MaximumConcurrency": 5},
                },
            },
            "External": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {"FunctionName": {"Ref": "F"}, "EventSourceArn": "arn:aws:sqs:us-east-1:1:other"},
            },
        }
    }
    mapped, external = event_source_mappings(template)
    assert (mapped.function, mapped.source, mapped.enabled, mapped.maximum_concurrency) == ("F", "Q", False, 5)
    assert mapped.batch_size is None and not mapped.report_batch_item_failures
    assert (external.function, external.source) == ("F", None)

    template["Resources"]["Bad"] = {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {"FunctionName": "x"}}
    with pytest.raises(TemplateError, match="Bad"):
        event_source_mappings(template)


# ------------------------------------------------------------------------------------------------------
# function_environment
# ------------------------------------------------------------------------------------------------------


def test_function_environment_of_agent_step(stack: Resources, sam_template: dict) -> None:
    env = function_environment(sam_template, "AgentStepFunction", stack)
    globals_ = sam_template["Globals"]["Function"]["Environment"]["Variables"]
    own = sam_template["Resources"]["AgentStepFunction"]["Properties"]["Environment"]["Variables"]
    assert set(env) == set(globals_) | set(own)
    assert all(isinstance(v, str) for v in env.values())
    empty = {k for k, v in env.items() if not v}
    assert empty <= {"REDIS_URL"}, f"unresolved variables: {empty}"
    assert env["STEP_QUEUE_URL"] == stack.ref("StepQueue")
    assert env["STEP_QUEUE_URL"] == client("sqs").get_queue_url(QueueName="cofounder-StepQueue.fifo")["QueueUrl"]
    assert env["TABLE_NAME"] == "cofounder-AgentTable"
    assert env["PAYLOAD_BUCKET"] == "cofounder-payloadbucket"
    assert env["SCHEDULER_GROUP"] == "cofounder-wake"
    assert env["SCHEDULER_ROLE_ARN"] == "arn:aws:iam::123456789012:role/cofounder-SchedulerRole"
    assert env["WAKE_FUNCTION_ARN"] == stack.get_att("WakeFunction", "Arn")
    assert env["ANTHROPIC_SECRET_ARN"] == stack.ref("AnthropicApiKeySecret")
    assert env["MAX_RECEIVE_COUNT"] == "5" and env["MAX_TOKENS"] == "4096" and env["STEP_CAP"] == "50"
    assert env["DEFAULT_DAILY_BUDGET_USD"] == "10" and env["GRACEFUL_THRESHOLD"] == "0.90"
    assert env["DEFAULT_MODEL"] == "claude-sonnet-4-6"
    assert env["POWERTOOLS_SERVICE_NAME"] == "cofounder"
    assert env["CONNECTIONS_TABLE"] == "cofounder-ConnectionsTable"
    assert env["WS_ENDPOINT"] == "https://cofounderwebsocketapi.execute-api.us-east-1.amazonaws.com/live"
    assert env["JWT_ISSUER"] == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE"
    assert env["JWT_AUDIENCE"] == "cofounder"

    overridden = function_environment(
        sam_template,
        "AgentStepFunction",
        stack,
        {"RedisUrl": "redis://127.0.0.1:6379/0", "StepCap": 9, "WebSocketStageName": "v2", "JwtAudience": "web"},
    )
    assert overridden["REDIS_URL"] == "redis://127.0.0.1:6379/0" and overridden["STEP_CAP"] == "9"
    assert overridden["WS_ENDPOINT"].endswith("/v2") and overridden["JWT_AUDIENCE"] == "web"


@pytest.mark.parametrize("logical_id", ["HttpApiFunction", "WebSocketFunction"])
def test_function_environment_of_the_api_functions(stack: Resources, sam_template: dict, logical_id: str) -> None:
    env = function_environment(sam_template, logical_id, stack)
    own = sam_template["Resources"][logical_id]["Properties"].get("Environment", {}).get("Variables", {})
    assert set(env) == set(sam_template["Globals"]["Function"]["Environment"]["Variables"]) | set(own)
    assert {k for k, v in env.items() if not v} <= {"REDIS_URL"}
    assert env["CONNECTIONS_TABLE"] == stack.ref("ConnectionsTable")
    assert env["WS_ENDPOINT"] == f"https://{stack.ref('WebSocketApi')}.execute-api.{REGION}.amazonaws.com/live"


def test_function_environment_of_wake(stack: Resources, sam_template: dict) -> None:
    env = function_environment(sam_template, "WakeFunction", stack)
    assert set(env) == set(sam_template["Globals"]["Function"]["Environment"]["Variables"])
    assert env["STEP_QUEUE_URL"] == stack.ref("StepQueue")
    with pytest.raises(TemplateError):
        function_environment(sam_template, "AgentTable", stack)


def test_function_environment_needs_no_aws(sam_template: dict) -> None:
    env = function_environment(sam_template, "WakeFunction", plan(sam_template, stack_name="demo"))
    assert env["TABLE_NAME"] == "demo-AgentTable"
