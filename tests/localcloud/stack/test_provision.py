"""localcloud.stack.provision: the translated template.yaml named (plan) and created on moto (provision)."""

from __future__ import annotations

import json

import pytest
from moto.server import ThreadedMotoServer

from localcloud.stack import (
    Resources,
    TemplateError,
    function_environment,
    logical_ids,
    outputs,
    plan,
    provision,
    resolve,
)
from tests.localcloud.stack.support import ACCOUNT, FUNCTIONS, REGION, client


def _layer(template: dict) -> str:
    (layer,) = logical_ids(template, "AWS::Lambda::LayerVersion")
    return layer


def test_plan_names_without_aws(sam_template: dict) -> None:
    r = plan(sam_template)
    assert r.ref("AgentTable") == "cofounder-AgentTable"
    assert r.ref("StepQueue") == "https://sqs.us-east-1.amazonaws.com/123456789012/cofounder-StepQueue.fifo"
    assert r.get_att("StepDeadLetterQueue", "QueueName") == "cofounder-StepDeadLetterQueue.fifo"
    assert r.ref("PayloadBucket") == "cofounder-payloadbucket"
    assert r.ref("WakeScheduleGroup") == "cofounder-wake"
    assert r.get_att("WakeFunction", "Arn") == "arn:aws:lambda:us-east-1:123456789012:function:cofounder-WakeFunction"
    assert r.ref("AgentStepFunctionLogGroup") == "/aws/lambda/cofounder-AgentStepFunction"
    assert r.ref("ConnectionsTable") == "cofounder-ConnectionsTable"
    assert r.ref("AgentStepFunctionRole") == "cofounder-AgentStepFunctionRole"  # made by samtranslator
    assert r.ref(_layer(sam_template)) == "arn:aws:lambda:us-east-1:123456789012:layer:cofounder-cofounder:1"
    # API Gateway: deterministic ids, no AWS call
    assert r.ref("HttpApi") == "cofounderhttpapi"
    assert r.ref("HttpApiApiGatewayDefaultStage") == "$default"
    assert r.ref("WebSocketApi") == "cofounderwebsocketapi"
    assert r.get_att("WebSocketApi", "ApiEndpoint") == "wss://cofounderwebsocketapi.execute-api.us-east-1.amazonaws.com"
    assert r.get_att("HttpApi", "ApiEndpoint") == "https://cofounderhttpapi.execute-api.us-east-1.amazonaws.com"
    assert r.ref("WebSocketStage") == "live"
    assert r.ref("WebSocketIntegration") == r.get_att("WebSocketIntegration", "IntegrationId") == "websocketintegration"
    assert r.get_att("WebSocketConnectRoute", "RouteId") == "websocketconnectroute"
    assert r.get_att("WebSocketDeployment", "DeploymentId") == "websocketdeployment"
    # an event source mapping's Ref is a UUID, the same every time
    mapping = r.ref("AgentStepFunctionStep")
    assert len(mapping) == 36 and plan(sam_template).ref("AgentStepFunctionStep") == mapping
    other = plan(sam_template, stack_name="demo", region="eu-west-1")
    assert other.ref("StepQueue") == "https://sqs.eu-west-1.amazonaws.com/123456789012/demo-StepQueue.fifo"
    assert other.ref("WakeScheduleGroup") == "demo-wake"
    assert other.ref("WebSocketApi") == "demowebsocketapi"
    assert other.ref("AgentStepFunctionStep") != mapping
    assert plan(sam_template, parameter_overrides={"WebSocketStageName": "v1"}).ref("WebSocketStage") == "v1"


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
        "gsi2pk": "S",
        "gsi2sk": "S",
    }
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    gsi, activity = table["GlobalSecondaryIndexes"]
    assert activity["IndexName"] == "GSI2" and activity["Projection"]["ProjectionType"] == "KEYS_ONLY"
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
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "ByJob"
    assert gsi["KeySchema"] == [
        {"AttributeName": "job_id", "KeyType": "HASH"},
        {"AttributeName": "connection_id", "KeyType": "RANGE"},
    ]
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


def test_provision_honours_parameter_overrides(mocked_aws: None, sam_template: dict) -> None:
    r = provision(sam_template, parameter_overrides={"StepMaxReceiveCount": 3, "AnthropicApiKey": "sk-ant-test"})
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
    # no expiry by object age (a weeks-long job still reads its first day's files): retention is the sweeper's
    assert lifecycle["Status"] == "Enabled" and "Expiration" not in lifecycle


def test_provision_schedule_group_and_secret(stack: Resources) -> None:
    group = client("scheduler").get_schedule_group(Name=stack.ref("WakeScheduleGroup"))
    assert group["Name"] == "cofounder-wake"
    assert group["Arn"] == stack.get_att("WakeScheduleGroup", "Arn")

    secret = client("secretsmanager").get_secret_value(SecretId=stack.ref("AnthropicApiKeySecret"))
    assert secret["SecretString"] == "set-me"
    assert secret["ARN"] == stack.ref("AnthropicApiKeySecret")


def test_roles_are_named_and_their_policies_stay_in_the_template(stack: Resources, cfn_template: dict) -> None:
    # Nothing local evaluates IAM: a role gets its ARN, its policies are read from the translated template.
    assert stack.get_att("SchedulerRole", "Arn") == f"arn:aws:iam::{ACCOUNT}:role/cofounder-SchedulerRole"
    assert stack.get_att("HttpApiFunctionRole", "Arn") == f"arn:aws:iam::{ACCOUNT}:role/cofounder-HttpApiFunctionRole"
    assert stack.get_att("HttpApiFunctionRole", "RoleId").startswith("AROA")
    assert client("iam").list_roles()["Roles"] == []

    role = cfn_template["Resources"]["HttpApiFunctionRole"]["Properties"]
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": ["lambda.amazonaws.com"]}
    documents = resolve([p["PolicyDocument"] for p in role["Policies"]], stack)
    statements = [s for d in documents for s in d["Statement"]]
    # the S3ReadPolicy template on the payload bucket, as samtranslator expanded it
    (s3_read,) = [s for s in statements if "s3:GetObject" in s["Action"] and "s3:PutObject" not in s["Action"]]
    assert set(s3_read["Resource"]) == {
        "arn:aws:s3:::cofounder-payloadbucket",
        "arn:aws:s3:::cofounder-payloadbucket/*",
    }
    (send,) = [s for s in statements if s["Action"] == ["sqs:SendMessage*"]]
    assert send["Resource"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:cofounder-StepQueue.fifo"


def test_provision_functions_layer_and_logs(stack: Resources, sam_template: dict) -> None:
    for fn in FUNCTIONS:
        assert stack.ref(fn) == f"cofounder-{fn}"
        assert stack.get_att(fn, "Arn") == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:cofounder-{fn}"
        assert stack.ref(f"{fn}LogGroup") == f"/aws/lambda/cofounder-{fn}"
    assert stack.ref(_layer(sam_template)) == f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:cofounder-cofounder:1"


def test_provision_is_idempotent_and_matches_plan(stack: Resources, sam_template: dict) -> None:
    again = provision(sam_template)
    assert again.physical_ids == stack.physical_ids
    planned = plan(sam_template)
    for logical_id, physical_id in stack.physical_ids.items():
        if logical_id != "AnthropicApiKeySecret":  # real secret ARNs end in a random suffix
            assert planned.ref(logical_id) == physical_id, logical_id


def test_outputs(stack: Resources, cfn_template: dict) -> None:
    # CloudFront is not emulated (the local cloud serves the console itself): its domain has no local value
    local = {**cfn_template, "Outputs": {k: v for k, v in cfn_template["Outputs"].items() if k != "ConsoleUrl"}}
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
    env = function_environment(cfn_template, "WakeFunction", stack)
    assert out["WebSocketManagementEndpoint"] == env["WS_ENDPOINT"]


# ------------------------------------------------------------------------------------------------------
# plain CloudFormation: conditions, dependency order, schedules
# ------------------------------------------------------------------------------------------------------


def test_provision_respects_conditions_and_dependency_order(mocked_aws: None) -> None:
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


def test_provision_schedules(mocked_aws: None) -> None:
    # What samtranslator makes of a ScheduleV2 event: a schedule whose target is the function.
    template = {
        "Resources": {
            "Sweeper": {"Type": "AWS::Lambda::Function", "Properties": {}},
            "SweeperRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
            },
            "Group": {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {}},
            "Every5Minutes": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "ScheduleExpression": "rate(5 minutes)",
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "GroupName": {"Ref": "Group"},
                    "Target": {
                        "Arn": {"Fn::GetAtt": ["Sweeper", "Arn"]},
                        "RoleArn": {"Fn::GetAtt": ["SweeperRole", "Arn"]},
                        "Input": '{"sweep": true}',
                        "RetryPolicy": {"MaximumRetryAttempts": "3", "MaximumEventAgeInSeconds": 600},
                    },
                },
            },
            "Default": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "Name": "nightly",
                    "ScheduleExpression": "cron(0 1 * * ? *)",
                    "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": "15"},
                    "Target": {"Arn": {"Fn::GetAtt": ["Sweeper", "Arn"]}, "RoleArn": "arn:aws:iam::1:role/x"},
                },
            },
        }
    }
    r = provision(template, stack_name="t")
    scheduler = client("scheduler")
    found = scheduler.get_schedule(Name="t-Every5Minutes", GroupName="t-Group")
    assert found["Arn"] == r.get_att("Every5Minutes", "Arn")
    assert found["ScheduleExpression"] == "rate(5 minutes)"
    assert found["Target"]["Arn"] == r.get_att("Sweeper", "Arn")
    assert found["Target"]["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600}
    nightly = scheduler.get_schedule(Name="nightly", GroupName="default")
    assert nightly["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert provision(template, stack_name="t").physical_ids == r.physical_ids  # idempotent


# ------------------------------------------------------------------------------------------------------
# provision against a moto server (the local cloud's path)
# ------------------------------------------------------------------------------------------------------


def test_provision_against_a_moto_server(aws_env: None, sam_template: dict) -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        r = provision(sam_template, endpoint_url=endpoint, stack_name="srv")

        def remote(service: str):
            return client(service, endpoint_url=endpoint)

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
        env = function_environment(sam_template, "AgentStepFunction", r)
        assert env["STEP_QUEUE_URL"] == url
        assert env["WS_ENDPOINT"] == "https://srvwebsocketapi.execute-api.us-east-1.amazonaws.com/live"
        assert env["CONNECTIONS_TABLE"] == "srv-ConnectionsTable"
        # the handlers reach it the way they would in AWS: boto3 + AWS_ENDPOINT_URL
        remote("sqs").send_message(
            QueueUrl=env["STEP_QUEUE_URL"], MessageBody="{}", MessageGroupId="j", MessageDeduplicationId="j:1"
        )
        # a second local cloud start on the same emulator reuses what exists
        assert provision(sam_template, endpoint_url=endpoint, stack_name="srv").physical_ids == r.physical_ids
    finally:
        server.stop()
