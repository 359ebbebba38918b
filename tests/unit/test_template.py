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
    Resources,
    TemplateError,
    evaluate_conditions,
    function_environment,
    functions,
    load_template,
    outputs,
    parameters,
    plan,
    provision,
    resolve,
)

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
ACCOUNT = "123456789012"


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
    assert set(specs) == {"AgentStepFunction", "WakeFunction"}
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
    assert list(step.environment)[:10] == list(template["Globals"]["Function"]["Environment"]["Variables"])


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
    other = plan(template, stack_name="demo", region="eu-west-1")
    assert other.ref("StepQueue") == "https://sqs.eu-west-1.amazonaws.com/123456789012/demo-StepQueue.fifo"
    assert other.ref("WakeScheduleGroup") == "demo-wake"


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
    for fn in ("AgentStepFunction", "WakeFunction"):
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

    overridden = function_environment(
        template, "AgentStepFunction", stack, {"RedisUrl": "redis://127.0.0.1:6379/0", "StepCap": 9}
    )
    assert overridden["REDIS_URL"] == "redis://127.0.0.1:6379/0" and overridden["STEP_CAP"] == "9"


def test_function_environment_of_wake(stack: Resources, template: dict) -> None:
    env = function_environment(template, "WakeFunction", stack)
    assert set(env) == set(template["Globals"]["Function"]["Environment"]["Variables"])
    assert env["STEP_QUEUE_URL"] == stack.ref("StepQueue")
    with pytest.raises(TemplateError):
        function_environment(template, "AgentTable", stack)


def test_outputs(stack: Resources, template: dict) -> None:
    out = outputs(template, stack)
    assert out == {
        "AgentTableName": "cofounder-AgentTable",
        "PayloadBucketName": "cofounder-payloadbucket",
        "StepQueueUrl": stack.ref("StepQueue"),
        "StepDeadLetterQueueUrl": stack.ref("StepDeadLetterQueue"),
        "WakeFunctionArn": stack.get_att("WakeFunction", "Arn"),
        "AgentStepFunctionArn": stack.get_att("AgentStepFunction", "Arn"),
        "WakeScheduleGroupName": "cofounder-wake",
    }


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
        remote("s3").head_bucket(Bucket="srv-payloadbucket")
        assert remote("scheduler").get_schedule_group(Name="srv-wake")["Name"] == "srv-wake"
        secret = remote("secretsmanager").get_secret_value(SecretId=r.ref("AnthropicApiKeySecret"))
        assert secret["SecretString"] == "set-me"
        env = function_environment(template, "AgentStepFunction", r)
        assert env["STEP_QUEUE_URL"] == url
        # the handlers reach it the way they would in AWS: boto3 + AWS_ENDPOINT_URL
        remote("sqs").send_message(
            QueueUrl=env["STEP_QUEUE_URL"], MessageBody="{}", MessageGroupId="j", MessageDeduplicationId="j:1"
        )
        # a second local cloud start on the same emulator reuses what exists
        assert provision(template, endpoint_url=endpoint, stack_name="srv").physical_ids == r.physical_ids
    finally:
        server.stop()
