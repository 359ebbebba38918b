"""localcloud.template: template.yaml parsed, resolved and provisioned on moto exactly as declared."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from localcloud.template import (
    NO_VALUE,
    HttpRoute,
    Resources,
    TemplateError,
    evaluate_conditions,
    function_environment,
    functions,
    http_routes,
    load_template,
    outputs,
    parameters,
    plan,
    provision,
    resolve,
    websocket_routes,
)

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCOUNT = "123456789012"
FUNCTIONS = ("AgentStepFunction", "WakeFunction", "HttpApiFunction", "WebSocketFunction")
# DESIGN.md "HTTP API": the contract's routes (+ the OpenAPI document, the only one without a JWT).
CONTRACT_ROUTES = {
    ("POST", "/api/jobs"),
    ("GET", "/api/jobs"),  # beyond the contract: the console lists a founder's jobs
    ("GET", "/api/jobs/{job_id}/status"),
    ("GET", "/api/jobs/{job_id}/escalations"),
    ("POST", "/api/escalations/{escalation_id}/resolve"),
    ("GET", "/api/jobs/{job_id}/events"),
    ("GET", "/api/openapi.json"),
}


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template(ROOT / "template.yaml")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def aws(aws_env: None):
    with mock_aws():
        yield


@pytest.fixture
def stack(aws: None, template: dict) -> Resources:
    return provision(template)


def client(service: str):
    return boto3.client(service, region_name=REGION)


# ------------------------------------------------------------------------------------------------------
# load_template
# ------------------------------------------------------------------------------------------------------


def test_load_template_turns_short_tags_into_long_forms(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        """
AWSTemplateFormatVersion: 2010-09-09
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Or [!Condition NotProd, !Condition IsProd]]
Resources:
  R:
    Type: X
    Properties:
      A: !Ref Thing
      B: !GetAtt Queue.Arn
      C: !GetAtt [Queue, QueueName]
      D: !Sub "${AWS::StackName}-x"
      E: !Sub ["${Name}-y", {Name: !Ref Thing}]
      F: !Join [",", [a, !Ref Thing]]
      G: !If [IsProd, 1, !Ref AWS::NoValue]
      H: !Select [0, !Split [",", "a,b"]]
      I: !FindInMap [Map, !Ref AWS::Region, Key]
      J: !Base64 text
      K: !ImportValue other-stack-export
      L: !GetAtt Db.Endpoint.Address
"""
    )
    t = load_template(path)
    assert t["AWSTemplateFormatVersion"] == "2010-09-09"  # not a datetime.date
    assert t["Conditions"] == {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Both": {
            "Fn::And": [
                {"Condition": "IsProd"},
                {"Fn::Or": [{"Condition": "NotProd"}, {"Condition": "IsProd"}]},
            ]
        },
    }
    assert t["Resources"]["R"]["Properties"] == {
        "A": {"Ref": "Thing"},
        "B": {"Fn::GetAtt": ["Queue", "Arn"]},
        "C": {"Fn::GetAtt": ["Queue", "QueueName"]},
        "D": {"Fn::Sub": "${AWS::StackName}-x"},
        "E": {"Fn::Sub": ["${Name}-y", {"Name": {"Ref": "Thing"}}]},
        "F": {"Fn::Join": [",", ["a", {"Ref": "Thing"}]]},
        "G": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]},
        "H": {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]},
        "I": {"Fn::FindInMap": ["Map", {"Ref": "AWS::Region"}, "Key"]},
        "J": {"Fn::Base64": "text"},
        "K": {"Fn::ImportValue": "other-stack-export"},
        "L": {"Fn::GetAtt": ["Db", "Endpoint.Address"]},
    }


def test_load_template_rejects_a_non_template(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("just: a mapping\n")
    with pytest.raises(TemplateError):
        load_template(path)


def test_real_template_shape(template: dict) -> None:
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    glob = template["Globals"]["Function"]
    assert glob["Runtime"] == "python3.13" and glob["Architectures"] == ["arm64"]
    assert glob["Layers"] == [{"Ref": "CofounderLayer"}]
    layer = template["Resources"]["CofounderLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/cofounder/"
    assert layer["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}
    assert (ROOT / "layers/cofounder/cofounder/__init__.py").is_file()
    assert not (ROOT / "layers/cofounder/python").exists(), "would land at /opt/python/python/..."


# ------------------------------------------------------------------------------------------------------
# parameters, resolve, conditions
# ------------------------------------------------------------------------------------------------------


def test_parameters_defaults_and_overrides(template: dict) -> None:
    params = parameters(template)
    assert params["StepMaxReceiveCount"] == "5"
    assert params["GracefulThreshold"] == "0.90"
    assert params["RedisUrl"] == ""
    assert params["AnthropicApiKey"]
    assert params["JwtAudience"] == "cofounder"
    assert params["JwtIssuer"].startswith("https://cognito-idp.us-east-1.amazonaws.com/")
    assert params["CorsOrigin"] == "http://localhost:3000"
    assert params["WebSocketStageName"] == "live"
    assert parameters(template, {"StepCap": 7})["StepCap"] == "7"
    with pytest.raises(TemplateError, match="unknown parameter"):
        parameters(template, {"Nope": "x"})
    with pytest.raises(TemplateError, match="no Default"):
        parameters({"Parameters": {"Required": {"Type": "String"}}})
    assert parameters({"Parameters": {"L": {"Type": "CommaDelimitedList", "Default": "a, b"}}}) == {"L": ["a", "b"]}


@pytest.fixture
def fake() -> Resources:
    r = Resources(stack_name="st", region="eu-west-1", account_id="111122223333")
    r.add("Queue", "AWS::SQS::Queue", "https://q/url", Arn="arn:aws:sqs:eu-west-1:111122223333:q", QueueName="q")
    r.add("Table", "AWS::DynamoDB::Table", "st-Table", Arn="arn:table")
    return r


def test_resolve_ref_and_pseudo_parameters(fake: Resources) -> None:
    params = {"Env": "prod"}
    assert resolve({"Ref": "Queue"}, fake, params) == "https://q/url"
    assert resolve({"Ref": "Env"}, fake, params) == "prod"
    assert resolve({"Ref": "AWS::Region"}, fake) == "eu-west-1"
    assert resolve({"Ref": "AWS::AccountId"}, fake) == "111122223333"
    assert resolve({"Ref": "AWS::StackName"}, fake) == "st"
    assert resolve({"Ref": "AWS::Partition"}, fake) == "aws"
    assert resolve({"Fn::GetAtt": ["Queue", "QueueName"]}, fake) == "q"
    assert resolve({"Fn::GetAtt": "Queue.Arn"}, fake) == "arn:aws:sqs:eu-west-1:111122223333:q"
    with pytest.raises(TemplateError, match="Missing"):
        resolve({"Ref": "Missing"}, fake)
    with pytest.raises(TemplateError, match="no attribute 'Nope'"):
        resolve({"Fn::GetAtt": ["Queue", "Nope"]}, fake)


def test_resolve_sub(fake: Resources) -> None:
    params = {"Env": "prod"}
    assert resolve({"Fn::Sub": "${AWS::StackName}-${Env}-wake"}, fake, params) == "st-prod-wake"
    assert resolve({"Fn::Sub": "${Queue.QueueName}|${Queue.Arn}|${Table}"}, fake) == (
        "q|arn:aws:sqs:eu-west-1:111122223333:q|st-Table"
    )
    assert resolve({"Fn::Sub": "arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:y"}, fake) == (
        "arn:aws:x:eu-west-1:111122223333:y"
    )
    assert resolve({"Fn::Sub": "${!Literal}-${Env}"}, fake, params) == "${Literal}-prod"
    assert resolve(
        {"Fn::Sub": ["${A}/${B}", {"A": {"Ref": "Env"}, "B": {"Fn::GetAtt": "Table.Arn"}}]}, fake, params
    ) == ("prod/arn:table")


def test_resolve_join_select_split(fake: Resources) -> None:
    assert resolve({"Fn::Join": [":", ["a", {"Ref": "Table"}, 3]]}, fake) == "a:st-Table:3"
    assert resolve({"Fn::Join": ["", []]}, fake) == ""
    assert resolve({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}, fake) == "y"
    assert resolve({"Fn::Base64": "hi"}, fake) == "aGk="


def test_resolve_if_and_conditions(fake: Resources) -> None:
    declared = {
        "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
            "ProdAndEu": {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}]},
            "Either": {"Fn::Or": [{"Condition": "NotProd"}, {"Condition": "ProdAndEu"}]},
        }
    }
    prod = evaluate_conditions(declared, {"Env": "prod"}, fake)
    assert prod == {"IsProd": True, "NotProd": False, "ProdAndEu": True, "Either": True}
    dev = evaluate_conditions(declared, {"Env": "dev"}, fake)
    assert dev == {"IsProd": False, "NotProd": True, "ProdAndEu": False, "Either": True}

    value = {"Fn::If": ["IsProd", {"Ref": "Table"}, "none"]}
    assert resolve(value, fake, conditions=prod) == "st-Table"
    assert resolve(value, fake, conditions=dev) == "none"
    # AWS::NoValue removes the property / list item it stands for.
    props = {"Keep": 1, "Drop": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, 2]}}
    assert resolve(props, fake, conditions=prod) == {"Keep": 1}
    assert resolve(props, fake, conditions=dev) == {"Keep": 1, "Drop": 2}
    assert resolve(["a", {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "b"]}], fake, conditions=prod) == ["a"]
    assert resolve({"Ref": "AWS::NoValue"}, fake) is NO_VALUE
    with pytest.raises(TemplateError, match="unknown condition"):
        resolve({"Fn::If": ["Nope", 1, 2]}, fake, conditions=prod)


def test_resolve_find_in_map(fake: Resources) -> None:
    mappings = {"Sizes": {"eu-west-1": {"Memory": 1024}}}
    value = {"Fn::FindInMap": ["Sizes", {"Ref": "AWS::Region"}, "Memory"]}
    assert resolve(value, fake, mappings=mappings) == 1024


# ------------------------------------------------------------------------------------------------------
# functions / function_environment / plan
# ------------------------------------------------------------------------------------------------------


def test_functions_apply_globals_and_describe_events(template: dict) -> None:
    specs = functions(template)
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
    assert step.properties["Layers"] == [{"Ref": "CofounderLayer"}]
    (event,) = step.events_of_type("SQS")
    assert event.source == "StepQueue"
    assert event.batch_size == 1
    assert event.function_response_types == ("ReportBatchItemFailures",)
    assert event.enabled
    wake = specs["WakeFunction"]
    assert (wake.code_uri, wake.timeout, dict(wake.events)) == ("functions/wake/", 30, {})
    # Globals.Function variables first, then the function's own.
    global_vars = list(template["Globals"]["Function"]["Environment"]["Variables"])
    assert list(step.environment)[: len(global_vars)] == global_vars
    assert step.events["Step"].method is None and step.events["Step"].route_key is None

    http = specs["HttpApiFunction"]
    assert (http.code_uri, http.timeout) == ("functions/http_api/", 15)
    assert [(e.name, e.method, e.path, e.auth_none) for e in http.events_of_type("HttpApi")] == [
        ("CreateJob", "POST", "/api/jobs", False),
        ("JobStatus", "GET", "/api/jobs/{job_id}/status", False),
        ("ListEscalations", "GET", "/api/jobs/{job_id}/escalations", False),
        ("ResolveEscalation", "POST", "/api/escalations/{escalation_id}/resolve", False),
        ("ListJobs", "GET", "/api/jobs", False),
        ("JobEvents", "GET", "/api/jobs/{job_id}/events", False),
        ("OpenApi", "GET", "/api/openapi.json", True),
    ]
    assert {e.source for e in http.events.values()} == {"HttpApi"}
    assert http.events["OpenApi"].authorizer == "NONE" and http.events["CreateJob"].authorizer is None
    assert http.events["JobStatus"].route_key == "GET /api/jobs/{job_id}/status"
    ws = specs["WebSocketFunction"]
    assert (ws.code_uri, ws.timeout, dict(ws.events)) == ("functions/websocket/", 30, {})


def test_step_queue_visibility_covers_six_step_timeouts(template: dict) -> None:
    timeout = functions(template)["AgentStepFunction"].timeout
    visibility = template["Resources"]["StepQueue"]["Properties"]["VisibilityTimeout"]
    assert visibility >= 6 * timeout


def test_no_function_environment_refers_to_wake_function_itself(template: dict) -> None:
    env = json.dumps(functions(template)["WakeFunction"].environment)
    assert "WakeFunction" not in env and "SchedulerRole" not in env


def test_plan_names_without_aws(template: dict) -> None:
    r = plan(template)
    assert r.ref("AgentTable") == "cofounder-AgentTable"
    assert r.ref("StepQueue") == "https://sqs.us-east-1.amazonaws.com/123456789012/cofounder-StepQueue.fifo"
    assert r.get_att("StepDeadLetterQueue", "QueueName") == "cofounder-StepDeadLetterQueue.fifo"
    assert r.ref("PayloadBucket") == "cofounder-payloadbucket"
    assert r.ref("WakeScheduleGroup") == "cofounder-wake"
    assert r.get_att("WakeFunction", "Arn") == "arn:aws:lambda:us-east-1:123456789012:function:cofounder-WakeFunction"
    assert r.ref("AgentStepFunctionLogGroup") == "/aws/lambda/cofounder-AgentStepFunction"
    assert r.ref("ConnectionsTable") == "cofounder-ConnectionsTable"
    # API Gateway: deterministic ids, no AWS call
    assert r.ref("HttpApi") == "cofounderhttpapi"
    assert r.ref("WebSocketApi") == "cofounderwebsocketapi"
    assert r.get_att("WebSocketApi", "ApiEndpoint") == "wss://cofounderwebsocketapi.execute-api.us-east-1.amazonaws.com"
    assert r.get_att("HttpApi", "ApiEndpoint") == "https://cofounderhttpapi.execute-api.us-east-1.amazonaws.com"
    assert r.ref("WebSocketStage") == "live"
    assert r.ref("WebSocketIntegration") == r.get_att("WebSocketIntegration", "IntegrationId") == "websocketintegration"
    assert r.get_att("WebSocketConnectRoute", "RouteId") == "websocketconnectroute"
    assert r.get_att("WebSocketDeployment", "DeploymentId") == "websocketdeployment"
    other = plan(template, stack_name="demo", region="eu-west-1")
    assert other.ref("StepQueue") == "https://sqs.eu-west-1.amazonaws.com/123456789012/demo-StepQueue.fifo"
    assert other.ref("WakeScheduleGroup") == "demo-wake"
    assert other.ref("WebSocketApi") == "demowebsocketapi"
    assert plan(template, parameter_overrides={"WebSocketStageName": "v1"}).ref("WebSocketStage") == "v1"


# ------------------------------------------------------------------------------------------------------
# provision under mock_aws
# ------------------------------------------------------------------------------------------------------


def test_provision_table(stack: Resources) -> None:
    table = client("dynamodb").describe_table(TableName=stack.ref("AgentTable"))["Table"]
    assert stack.ref("AgentTable") == "cofounder-AgentTable"
    assert table["TableArn"] == stack.get_att("AgentTable", "Arn")
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == {
        "pk": "S",
        "sk": "S",
        "gsi1pk": "S",
        "gsi1sk": "S",
    }
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "GSI1"
    assert gsi["KeySchema"] == [
        {"AttributeName": "gsi1pk", "KeyType": "HASH"},
        {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
    ]
    assert gsi["Projection"]["ProjectionType"] == "ALL"
    backups = client("dynamodb").describe_continuous_backups(TableName=stack.ref("AgentTable"))
    pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"


def test_provision_connections_table(stack: Resources) -> None:
    ddb = client("dynamodb")
    assert stack.ref("ConnectionsTable") == "cofounder-ConnectionsTable"
    table = ddb.describe_table(TableName="cofounder-ConnectionsTable")["Table"]
    assert table["TableArn"] == stack.get_att("ConnectionsTable", "Arn")
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "ByJob"
    assert gsi["KeySchema"] == [
        {"AttributeName": "job_id", "KeyType": "HASH"},
        {"AttributeName": "connection_id", "KeyType": "RANGE"},
    ]
    assert gsi["Projection"]["ProjectionType"] == "ALL"
    ttl = ddb.describe_time_to_live(TableName="cofounder-ConnectionsTable")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    # the layout the WebSocket side uses: META is not in the sparse index, SUB# items are
    ddb.put_item(TableName="cofounder-ConnectionsTable", Item={"pk": {"S": "CONN#c1"}, "sk": {"S": "META"}})
    for conn in ("c1", "c2"):
        ddb.put_item(
            TableName="cofounder-ConnectionsTable",
            Item={
                "pk": {"S": f"CONN#{conn}"},
                "sk": {"S": "SUB#job-1"},
                "job_id": {"S": "job-1"},
                "connection_id": {"S": conn},
            },
        )
    found = ddb.query(
        TableName="cofounder-ConnectionsTable",
        IndexName="ByJob",
        KeyConditionExpression="job_id = :j",
        ExpressionAttributeValues={":j": {"S": "job-1"}},
    )["Items"]
    assert [i["connection_id"]["S"] for i in found] == ["c1", "c2"]


def test_provision_fifo_queue_with_redrive_to_dlq(stack: Resources) -> None:
    sqs = client("sqs")
    url = stack.ref("StepQueue")
    assert url == sqs.get_queue_url(QueueName="cofounder-StepQueue.fifo")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["VisibilityTimeout"] == "1800"
    assert attrs["MessageRetentionPeriod"] == "1209600"
    dlq_url = stack.ref("StepDeadLetterQueue")
    dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["All"])["Attributes"]
    assert dlq["FifoQueue"] == "true" and dlq["MessageRetentionPeriod"] == "1209600"
    assert dlq["QueueArn"] == stack.get_att("StepDeadLetterQueue", "Arn")
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == 5
    assert stack.get_att("StepQueue", "QueueName").endswith(".fifo")
    assert stack.get_att("StepQueue", "QueueUrl") == url
    # a FIFO message can be sent with the group/dedup ids the agent uses
    sqs.send_message(QueueUrl=url, MessageBody="{}", MessageGroupId="job-1", MessageDeduplicationId="job-1:1")


def test_provision_honours_parameter_overrides(aws: None, template: dict) -> None:
    r = provision(template, parameter_overrides={"StepMaxReceiveCount": 3, "AnthropicApiKey": "sk-ant-test"})
    attrs = client("sqs").get_queue_attributes(QueueUrl=r.ref("StepQueue"), AttributeNames=["RedrivePolicy"])
    assert int(json.loads(attrs["Attributes"]["RedrivePolicy"])["maxReceiveCount"]) == 3
    secret = client("secretsmanager").get_secret_value(SecretId=r.ref("AnthropicApiKeySecret"))
    assert secret["SecretString"] == "sk-ant-test"


def test_provision_bucket(stack: Resources) -> None:
    s3 = client("s3")
    bucket = stack.ref("PayloadBucket")
    assert bucket == "cofounder-payloadbucket"
    s3.head_bucket(Bucket=bucket)
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle["Status"] == "Enabled" and lifecycle["Expiration"] == {"Days": 30}


def test_provision_schedule_group_secret_and_role(stack: Resources) -> None:
    group = client("scheduler").get_schedule_group(Name=stack.ref("WakeScheduleGroup"))
    assert group["Name"] == "cofounder-wake"
    assert group["Arn"] == stack.get_att("WakeScheduleGroup", "Arn")

    secret = client("secretsmanager").get_secret_value(SecretId=stack.ref("AnthropicApiKeySecret"))
    assert secret["SecretString"] == "set-me"
    assert secret["ARN"] == stack.ref("AnthropicApiKeySecret")

    iam = client("iam")
    role = iam.get_role(RoleName=stack.ref("SchedulerRole"))["Role"]
    assert role["Arn"] == stack.get_att("SchedulerRole", "Arn")
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    policy = iam.get_role_policy(RoleName=stack.ref("SchedulerRole"), PolicyName="InvokeWakeFunction")
    (allow,) = policy["PolicyDocument"]["Statement"]
    assert allow["Action"] == "lambda:InvokeFunction"
    assert allow["Resource"] == stack.get_att("WakeFunction", "Arn")


def test_provision_functions_layer_and_logs(stack: Resources) -> None:
    for fn in FUNCTIONS:
        assert stack.ref(fn) == f"cofounder-{fn}"
        assert stack.get_att(fn, "Arn") == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:cofounder-{fn}"
        assert stack.ref(f"{fn}LogGroup") == f"/aws/lambda/cofounder-{fn}"
    assert stack.ref("CofounderLayer") == f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:cofounder-cofounder:1"


def test_provision_is_idempotent_and_matches_plan(stack: Resources, template: dict) -> None:
    again = provision(template)
    assert again.physical_ids == stack.physical_ids
    planned = plan(template)
    for logical_id, physical_id in stack.physical_ids.items():
        if logical_id != "AnthropicApiKeySecret":  # real secret ARNs end in a random suffix
            assert planned.ref(logical_id) == physical_id, logical_id


def test_function_environment_of_agent_step(stack: Resources, template: dict) -> None:
    env = function_environment(template, "AgentStepFunction", stack)
    globals_ = template["Globals"]["Function"]["Environment"]["Variables"]
    own = template["Resources"]["AgentStepFunction"]["Properties"]["Environment"]["Variables"]
    assert set(env) == set(globals_) | set(own)
    assert all(isinstance(v, str) for v in env.values())
    empty = {k for k, v in env.items() if not v}
    assert empty <= {"REDIS_URL"}, f"unresolved variables: {empty}"
    assert env["STEP_QUEUE_URL"] == stack.ref("StepQueue")
    assert env["STEP_QUEUE_URL"] == client("sqs").get_queue_url(QueueName="cofounder-StepQueue.fifo")["QueueUrl"]
    assert env["TABLE_NAME"] == "cofounder-AgentTable"
    assert env["PAYLOAD_BUCKET"] == "cofounder-payloadbucket"
    assert env["SCHEDULER_GROUP"] == "cofounder-wake"
    assert env["SCHEDULER_ROLE_ARN"] == client("iam").get_role(RoleName="cofounder-SchedulerRole")["Role"]["Arn"]
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
        template,
        "AgentStepFunction",
        stack,
        {"RedisUrl": "redis://127.0.0.1:6379/0", "StepCap": 9, "WebSocketStageName": "v2", "JwtAudience": "web"},
    )
    assert overridden["REDIS_URL"] == "redis://127.0.0.1:6379/0" and overridden["STEP_CAP"] == "9"
    assert overridden["WS_ENDPOINT"].endswith("/v2") and overridden["JWT_AUDIENCE"] == "web"


@pytest.mark.parametrize("logical_id", ["HttpApiFunction", "WebSocketFunction"])
def test_function_environment_of_the_api_functions(stack: Resources, template: dict, logical_id: str) -> None:
    env = function_environment(template, logical_id, stack)
    assert set(env) == set(template["Globals"]["Function"]["Environment"]["Variables"])
    assert {k for k, v in env.items() if not v} <= {"REDIS_URL"}
    assert env["CONNECTIONS_TABLE"] == stack.ref("ConnectionsTable")
    assert env["WS_ENDPOINT"] == f"https://{stack.ref('WebSocketApi')}.execute-api.{REGION}.amazonaws.com/live"


def test_function_environment_of_wake(stack: Resources, template: dict) -> None:
    env = function_environment(template, "WakeFunction", stack)
    assert set(env) == set(template["Globals"]["Function"]["Environment"]["Variables"])
    assert env["STEP_QUEUE_URL"] == stack.ref("StepQueue")
    with pytest.raises(TemplateError):
        function_environment(template, "AgentTable", stack)


def test_outputs(stack: Resources, template: dict) -> None:
    # CloudFront is not emulated (the local cloud serves the console itself): its domain has no local value
    local = {**template, "Outputs": {k: v for k, v in template["Outputs"].items() if k != "ConsoleUrl"}}
    out = outputs(local, stack)
    assert out == {
        "AgentTableName": "cofounder-AgentTable",
        "PayloadBucketName": "cofounder-payloadbucket",
        "StepQueueUrl": stack.ref("StepQueue"),
        "StepDeadLetterQueueUrl": stack.ref("StepDeadLetterQueue"),
        "WakeFunctionArn": stack.get_att("WakeFunction", "Arn"),
        "AgentStepFunctionArn": stack.get_att("AgentStepFunction", "Arn"),
        "WakeScheduleGroupName": "cofounder-wake",
        "HttpApiUrl": "https://cofounderhttpapi.execute-api.us-east-1.amazonaws.com",
        "WebSocketUrl": "wss://cofounderwebsocketapi.execute-api.us-east-1.amazonaws.com/live",
        "WebSocketManagementEndpoint": "https://cofounderwebsocketapi.execute-api.us-east-1.amazonaws.com/live",
        "ConnectionsTableName": "cofounder-ConnectionsTable",
        "ConsoleBucketName": "cofounder-consolebucket",
        "ConsoleDistributionId": stack.ref("ConsoleDistribution"),
    }
    # the management endpoint is what the functions push through
    assert out["WebSocketManagementEndpoint"] == function_environment(template, "WakeFunction", stack)["WS_ENDPOINT"]


def test_provision_respects_conditions_and_dependency_order(aws: None) -> None:
    template = {
        "Parameters": {"WithExtra": {"Type": "String", "Default": "no"}},
        "Conditions": {"Extra": {"Fn::Equals": [{"Ref": "WithExtra"}, "yes"]}},
        "Resources": {
            # declared before its dead-letter queue: provision must create the DLQ first
            "Main": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}, "maxReceiveCount": 2}
                },
            },
            "Dlq": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "explicit-dlq"}},
            "ExtraTable": {
                "Type": "AWS::DynamoDB::Table",
                "Condition": "Extra",
                "Properties": {
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                    "BillingMode": "PAY_PER_REQUEST",
                    "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
                },
            },
        },
    }
    r = provision(template, stack_name="t")
    assert "ExtraTable" not in r
    assert r.get_att("Dlq", "QueueName") == "explicit-dlq"
    assert r.get_att("Main", "QueueName") == "t-Main"
    attrs = client("sqs").get_queue_attributes(QueueUrl=r.ref("Main"), AttributeNames=["RedrivePolicy"])
    assert json.loads(attrs["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"] == r.get_att("Dlq", "Arn")

    r = provision(template, stack_name="t", parameter_overrides={"WithExtra": "yes"})
    assert r.ref("ExtraTable") == "t-ExtraTable"
    ttl = client("dynamodb").describe_time_to_live(TableName="t-ExtraTable")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "ttl"


def test_circular_dependencies_are_reported() -> None:
    template = {
        "Resources": {
            "A": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::GetAtt": ["B", "QueueName"]}}},
            "B": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${A.QueueName}-b"}}},
        }
    }
    with pytest.raises(TemplateError, match="circular"):
        plan(template)


# ------------------------------------------------------------------------------------------------------
# provision against a moto server (the local cloud's path)
# ------------------------------------------------------------------------------------------------------


def test_provision_against_a_moto_server(aws_env: None, template: dict) -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        r = provision(template, endpoint_url=endpoint, stack_name="srv")

        def remote(service: str):
            return boto3.client(service, region_name=REGION, endpoint_url=endpoint)

        url = r.ref("StepQueue")
        assert url.startswith(endpoint) and url.endswith("/srv-StepQueue.fifo")
        attrs = remote("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"] == r.get_att("StepDeadLetterQueue", "Arn")
        table = remote("dynamodb").describe_table(TableName="srv-AgentTable")["Table"]
        assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "GSI1"
        connections = remote("dynamodb").describe_table(TableName="srv-ConnectionsTable")["Table"]
        assert connections["GlobalSecondaryIndexes"][0]["IndexName"] == "ByJob"
        ttl = remote("dynamodb").describe_time_to_live(TableName="srv-ConnectionsTable")["TimeToLiveDescription"]
        assert ttl["AttributeName"] == "expires_at"
        assert r.ref("WebSocketApi") == "srvwebsocketapi"
        remote("s3").head_bucket(Bucket="srv-payloadbucket")
        assert remote("scheduler").get_schedule_group(Name="srv-wake")["Name"] == "srv-wake"
        secret = remote("secretsmanager").get_secret_value(SecretId=r.ref("AnthropicApiKeySecret"))
        assert secret["SecretString"] == "set-me"
        env = function_environment(template, "AgentStepFunction", r)
        assert env["STEP_QUEUE_URL"] == url
        assert env["WS_ENDPOINT"] == "https://srvwebsocketapi.execute-api.us-east-1.amazonaws.com/live"
        assert env["CONNECTIONS_TABLE"] == "srv-ConnectionsTable"
        # the handlers reach it the way they would in AWS: boto3 + AWS_ENDPOINT_URL
        remote("sqs").send_message(
            QueueUrl=env["STEP_QUEUE_URL"], MessageBody="{}", MessageGroupId="j", MessageDeduplicationId="j:1"
        )
        # a second local cloud start on the same emulator reuses what exists
        assert provision(template, endpoint_url=endpoint, stack_name="srv").physical_ids == r.physical_ids
    finally:
        server.stop()


# ------------------------------------------------------------------------------------------------------
# APIs: routes (what the local cloud serves), authorizer, CORS, permissions
# ------------------------------------------------------------------------------------------------------


def test_http_routes_of_the_template(template: dict) -> None:
    routes = http_routes(template)
    assert all(isinstance(r, HttpRoute) for r in routes)
    assert {(r.method, r.path) for r in routes} == CONTRACT_ROUTES
    assert len(routes) == len(CONTRACT_ROUTES)
    assert {r.function for r in routes} == {"HttpApiFunction"}
    # every route needs the JWT (the API's default authorizer) except the OpenAPI document
    assert {r.route_key for r in routes if r.auth_none} == {"GET /api/openapi.json"}
    method, path, function, auth_none = routes[0]  # a plain 4-tuple too
    assert (method, path, function, auth_none) == ("POST", "/api/jobs", "HttpApiFunction", False)
    assert http_routes(template, api="HttpApi") == routes
    assert http_routes(template, api="OtherApi") == []


def test_http_routes_auth_follows_the_api_default_authorizer() -> None:
    def fn(events: dict) -> dict:
        return {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "x/", "Events": events}}

    template = {
        "Resources": {
            "Secured": {"Type": "AWS::Serverless::HttpApi", "Properties": {"Auth": {"DefaultAuthorizer": "Jwt"}}},
            "Open": {"Type": "AWS::Serverless::HttpApi", "Properties": {}},
            "F": fn(
                {
                    "A": {
                        "Type": "HttpApi",
                        "Properties": {"ApiId": {"Ref": "Secured"}, "Method": "get", "Path": "/a"},
                    },
                    "B": {
                        "Type": "HttpApi",
                        "Properties": {
                            "ApiId": {"Ref": "Secured"},
                            "Method": "GET",
                            "Path": "/b",
                            "Auth": {"Authorizer": "NONE"},
                        },
                    },
                    "C": {"Type": "HttpApi", "Properties": {"ApiId": {"Ref": "Open"}, "Method": "POST", "Path": "/c"}},
                    "D": {"Type": "HttpApi", "Properties": {}},  # SAM's implicit API, catch-all
                }
            ),
        }
    }
    routes = http_routes(template)
    assert [tuple(r) for r in routes] == [
        ("GET", "/a", "F", False),
        ("GET", "/b", "F", True),
        ("POST", "/c", "F", True),
        ("ANY", "$default", "F", True),
    ]
    assert [r.route_key for r in routes] == ["GET /a", "GET /b", "POST /c", "$default"]
    assert [r.path for r in http_routes(template, api="ServerlessHttpApi")] == ["$default"]

    template["Resources"]["G"] = fn(
        {"Dup": {"Type": "HttpApi", "Properties": {"ApiId": {"Ref": "Secured"}, "Method": "GET", "Path": "/a"}}}
    )
    with pytest.raises(TemplateError, match="GET /a"):
        http_routes(template)


def test_websocket_routes_of_the_template(template: dict) -> None:
    assert websocket_routes(template) == {
        "$connect": "WebSocketFunction",
        "$disconnect": "WebSocketFunction",
        "$default": "WebSocketFunction",
    }
    assert websocket_routes(template, api="WebSocketApi") == websocket_routes(template)
    with pytest.raises(TemplateError, match="not a WebSocket API"):
        websocket_routes(template, api="HttpApi")


def test_websocket_routes_resolve_target_integration_and_function() -> None:
    def route(key: str, target: object) -> dict:
        return {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {"ApiId": {"Ref": "Ws"}, "RouteKey": key, "Target": target},
        }

    def integration(uri: object) -> dict:
        return {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {"ApiId": {"Ref": "Ws"}, "IntegrationUri": uri}}

    uri = "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${%s.Arn}/invocations"
    template = {
        "Resources": {
            "Ws": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}},
            "Http": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "HTTP"}},
            "Connect": {"Type": "AWS::Serverless::Function", "Properties": {}},
            "Other": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "ConnectIntegration": integration({"Fn::Sub": uri % "Connect"}),
            "OtherIntegration": integration(
                {
                    "Fn::Join": [
                        "",
                        [
                            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/",
                            {"Fn::GetAtt": ["Other", "Arn"]},
                        ],
                    ]
                }
            ),
            "R1": route("$connect", {"Fn::Sub": "integrations/${ConnectIntegration}"}),
            "R2": route("$default", {"Fn::Join": ["/", ["integrations", {"Ref": "OtherIntegration"}]]}),
            "R3": route("sendMessage", {"Fn::Sub": "integrations/${OtherIntegration}"}),
            "HttpRoute": {
                "Type": "AWS::ApiGatewayV2::Route",
                "Properties": {"ApiId": {"Ref": "Http"}, "RouteKey": "GET /x", "Target": "integrations/abc"},
            },
        }
    }
    assert websocket_routes(template) == {"$connect": "Connect", "$default": "Other", "sendMessage": "Other"}

    template["Resources"]["R4"] = route("$disconnect", "integrations/abc123")  # not an integration of the template
    with pytest.raises(TemplateError, match="R4"):
        websocket_routes(template)
    template["Resources"]["R4"] = route("$connect", {"Fn::Sub": "integrations/${ConnectIntegration}"})
    with pytest.raises(TemplateError, match="twice"):
        websocket_routes(template)


def test_http_api_jwt_authorizer_and_cors(template: dict) -> None:
    api = template["Resources"]["HttpApi"]
    assert api["Type"] == "AWS::Serverless::HttpApi"
    auth = api["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "CofounderJwt"
    jwt = auth["Authorizers"]["CofounderJwt"]
    assert jwt["IdentitySource"] == "$request.header.Authorization"
    assert jwt["JwtConfiguration"] == {"issuer": {"Ref": "JwtIssuer"}, "audience": [{"Ref": "JwtAudience"}]}
    cors = api["Properties"]["CorsConfiguration"]
    assert cors["AllowOrigins"] == [{"Ref": "CorsOrigin"}]
    assert {h.lower() for h in cors["AllowHeaders"]} == {"authorization", "content-type"}
    assert set(cors["AllowMethods"]) == {"GET", "POST", "OPTIONS"}
    assert cors["MaxAge"] == 600


def test_websocket_api_wiring(template: dict) -> None:
    res = template["Resources"]
    api = res["WebSocketApi"]["Properties"]
    assert (api["ProtocolType"], api["RouteSelectionExpression"]) == ("WEBSOCKET", "$request.body.action")
    routes = {res[lid]["Properties"]["RouteKey"]: lid for lid in res if res[lid]["Type"] == "AWS::ApiGatewayV2::Route"}
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    # $connect is open at the gateway: the function checks ?token= itself
    assert res[routes["$connect"]]["Properties"]["AuthorizationType"] == "NONE"
    assert sorted(res["WebSocketDeployment"]["DependsOn"]) == sorted(routes.values())
    stage = res["WebSocketStage"]["Properties"]
    assert stage["StageName"] == {"Ref": "WebSocketStageName"}
    assert stage["DeploymentId"] == {"Ref": "WebSocketDeployment"}
    assert res["WebSocketIntegration"]["Properties"]["IntegrationType"] == "AWS_PROXY"
    permission = res["WebSocketPermission"]["Properties"]
    assert permission["FunctionName"] == {"Ref": "WebSocketFunction"}
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert "${WebSocketApi}/" in permission["SourceArn"]["Fn::Sub"]
    # WS_ENDPOINT names the stage through the parameter: a Ref to the stage would be circular
    ws_endpoint = template["Globals"]["Function"]["Environment"]["Variables"]["WS_ENDPOINT"]
    assert "${WebSocketStageName}" in ws_endpoint["Fn::Sub"] and "WebSocketStage}" not in ws_endpoint["Fn::Sub"]


def _statements(policies: list) -> list[dict]:
    return [s for p in policies if isinstance(p, dict) and "Statement" in p for s in p["Statement"]]


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_function_may_push_to_websocket_connections(template: dict, logical_id: str) -> None:
    policies = template["Resources"][logical_id]["Properties"]["Policies"]
    tables = [p["DynamoDBCrudPolicy"]["TableName"] for p in policies if "DynamoDBCrudPolicy" in p]
    assert {"Ref": "ConnectionsTable"} in tables and {"Ref": "AgentTable"} in tables
    (manage,) = [s for s in _statements(policies) if s["Action"] == "execute-api:ManageConnections"]
    assert manage["Effect"] == "Allow"
    assert manage["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebSocketApi}/*"
    }


def test_http_api_function_policies(template: dict) -> None:
    policies = template["Resources"]["HttpApiFunction"]["Properties"]["Policies"]
    assert {"S3ReadPolicy": {"BucketName": {"Ref": "PayloadBucket"}}} in policies
    assert {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["StepQueue", "QueueName"]}}} in policies


@pytest.mark.parametrize("logical_id", ["HttpApiFunction", "WebSocketFunction"])
def test_api_functions_have_log_groups(template: dict, logical_id: str) -> None:
    group = template["Resources"][f"{logical_id}LogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}
    assert group["RetentionInDays"] == 30
