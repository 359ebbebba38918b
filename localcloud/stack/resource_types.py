"""How each CloudFormation resource type is created through boto3 (when the provisioner is live) and named.

One function per type, ``(provisioner, logical_id, resource) -> None``: it resolves the resource's properties,
creates it (idempotently: an existing one is reused) and records its Ref and attributes in
``provisioner.resources``. Types the local cloud runs itself (functions, layers, event source mappings, log
groups, API Gateway) and IAM roles (no emulator evaluates a policy) only get their deterministic names.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import string
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from localcloud.stack.errors import TemplateError
from localcloud.stack.intrinsics import scalar_str
from localcloud.stack.resources import (
    PARTITION,
    URL_SUFFIX,
    api_gateway_id,
    bucket_name,
    derived_uuid,
    generated_name,
)

if TYPE_CHECKING:
    from localcloud.stack.provision import Provisioner

Create = Callable[["Provisioner", str, Mapping[str, Any]], None]


def _bool_str(value: Any) -> str:
    return "true" if str(value).lower() == "true" else "false"


def _error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")


# ---------------------------------------------------------------------------------------------------------
# DynamoDB
# ---------------------------------------------------------------------------------------------------------

_THROUGHPUT_KEYS = ("ReadCapacityUnits", "WriteCapacityUnits")


def _table_request(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    billing = props.get("BillingMode", "PROVISIONED")
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": billing,
    }

    def index(spec: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: spec[k] for k in ("IndexName", "KeySchema", "Projection") if k in spec}
        if billing == "PROVISIONED" and "ProvisionedThroughput" in spec:
            out["ProvisionedThroughput"] = {k: int(spec["ProvisionedThroughput"][k]) for k in _THROUGHPUT_KEYS}
        return out

    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = [index(i) for i in props["GlobalSecondaryIndexes"]]
    if props.get("LocalSecondaryIndexes"):
        request["LocalSecondaryIndexes"] = [index(i) for i in props["LocalSecondaryIndexes"]]
    if billing == "PROVISIONED":
        throughput = props.get("ProvisionedThroughput") or {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        request["ProvisionedThroughput"] = {k: int(throughput[k]) for k in _THROUGHPUT_KEYS}
    if "StreamSpecification" in props:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": props["StreamSpecification"]["StreamViewType"],
        }
    if "SSESpecification" in props:
        sse = props["SSESpecification"]
        request["SSESpecification"] = {"Enabled": _bool_str(sse.get("SSEEnabled")) == "true"} | {
            k: sse[k] for k in ("SSEType", "KMSMasterKeyId") if k in sse
        }
    if "TableClass" in props:
        request["TableClass"] = props["TableClass"]
    if props.get("Tags"):
        request["Tags"] = props["Tags"]
    return request


def table(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    props = p.props(resource)
    r = p.resources
    name = props.get("TableName") or generated_name(r.stack_name, logical_id)
    arn = r.arn("dynamodb", f"table/{name}")
    stream_arn = None
    if p.live:
        ddb = p.client("dynamodb")
        try:
            description = ddb.create_table(**_table_request(name, props))["TableDescription"]
        except ddb.exceptions.ResourceInUseException:
            description = ddb.describe_table(TableName=name)["Table"]
        if description.get("TableStatus") not in (None, "ACTIVE"):
            ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        arn = description.get("TableArn", arn)
        stream_arn = description.get("LatestStreamArn")
        ttl = props.get("TimeToLiveSpecification")
        if ttl and _bool_str(ttl.get("Enabled")) == "true":
            try:
                ddb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
                )
            except ddb.exceptions.ClientError as exc:  # already enabled (re-provisioning)
                if _error_code(exc) != "ValidationException":
                    raise
        pitr = props.get("PointInTimeRecoverySpecification") or {}
        if _bool_str(pitr.get("PointInTimeRecoveryEnabled")) == "true":
            ddb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
    attributes = {"Arn": arn}
    if stream_arn or "StreamSpecification" in props:
        attributes["StreamArn"] = stream_arn or f"{arn}/stream/1970-01-01T00:00:00.000"
    r.add(logical_id, resource["Type"], name, **attributes)


# ---------------------------------------------------------------------------------------------------------
# SQS
# ---------------------------------------------------------------------------------------------------------

_SQS_ATTRIBUTES = (
    "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout", "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope",
    "FifoThroughputLimit", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled",
)  # fmt: skip


def _queue_attributes(props: Mapping[str, Any]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for key in _SQS_ATTRIBUTES:
        if key in props:
            value = props[key]
            attributes[key] = _bool_str(value) if isinstance(value, bool) else str(value)
    for key in ("RedrivePolicy", "RedriveAllowPolicy"):
        if key in props:
            policy = props[key]
            if isinstance(policy, dict) and "maxReceiveCount" in policy:
                policy = {**policy, "maxReceiveCount": int(policy["maxReceiveCount"])}
            attributes[key] = policy if isinstance(policy, str) else json.dumps(policy)
    return attributes


def queue(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    props = p.props(resource)
    r = p.resources
    fifo = _bool_str(props.get("FifoQueue", False)) == "true"
    name = props.get("QueueName") or (
        generated_name(r.stack_name, logical_id, 80 - 5) + ".fifo"
        if fifo
        else generated_name(r.stack_name, logical_id, 80)
    )
    if fifo and not name.endswith(".fifo"):
        raise TemplateError(f"{logical_id}: a FIFO queue's QueueName must end in .fifo")
    arn = r.arn("sqs", name)
    url = f"https://sqs.{r.region}.{URL_SUFFIX}/{r.account_id}/{name}"
    if p.live:
        sqs = p.client("sqs")
        request: dict[str, Any] = {"QueueName": name, "Attributes": _queue_attributes(props)}
        if props.get("Tags"):
            request["tags"] = {t["Key"]: t["Value"] for t in props["Tags"]}
        url = sqs.create_queue(**request)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    r.add(logical_id, resource["Type"], url, Arn=arn, QueueName=name, QueueUrl=url)


# ---------------------------------------------------------------------------------------------------------
# S3
# ---------------------------------------------------------------------------------------------------------


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Status": rule.get("Status", "Enabled")}
    if "Id" in rule:
        out["ID"] = rule["Id"]
    out["Filter"] = {"Prefix": rule.get("Prefix", "")}
    expiration = {}
    if "ExpirationInDays" in rule:
        expiration["Days"] = int(rule["ExpirationInDays"])
    if "ExpirationDate" in rule:
        expiration["Date"] = rule["ExpirationDate"]
    if expiration:
        out["Expiration"] = expiration
    if "NoncurrentVersionExpirationInDays" in rule:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(rule["NoncurrentVersionExpirationInDays"])}
    if "AbortIncompleteMultipartUpload" in rule:
        days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
    return out


def _configure_bucket(s3: Any, name: str, props: Mapping[str, Any]) -> None:
    if "BucketEncryption" in props:
        rules = [  # CloudFormation's ServerSideEncryptionByDefault is the API's Apply...ByDefault
            {("Apply" + k if k == "ServerSideEncryptionByDefault" else k): v for k, v in rule.items()}
            for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "PublicAccessBlockConfiguration" in props:
        block = {k: _bool_str(v) == "true" for k, v in props["PublicAccessBlockConfiguration"].items()}
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    if "VersioningConfiguration" in props:
        s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]}
        )
    rules = (props.get("LifecycleConfiguration") or {}).get("Rules")
    if rules:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": [_lifecycle_rule(rule) for rule in rules]}
        )


def bucket(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    props = p.props(resource)
    r = p.resources
    name = props.get("BucketName") or bucket_name(r.stack_name, logical_id)
    if p.live:
        s3 = p.client("s3")
        request: dict[str, Any] = {"Bucket": name}
        if r.region != "us-east-1":
            request["CreateBucketConfiguration"] = {"LocationConstraint": r.region}
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            s3.create_bucket(**request)
        _configure_bucket(s3, name, props)
    r.add(
        logical_id,
        resource["Type"],
        name,
        Arn=f"arn:{PARTITION}:s3:::{name}",
        DomainName=f"{name}.s3.{URL_SUFFIX}",
        RegionalDomainName=f"{name}.s3.{r.region}.{URL_SUFFIX}",
        WebsiteURL=f"http://{name}.s3-website-{r.region}.{URL_SUFFIX}",
    )


# ---------------------------------------------------------------------------------------------------------
# EventBridge Scheduler
# ---------------------------------------------------------------------------------------------------------


def schedule_group(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    props = p.props(resource)
    r = p.resources
    name = props.get("Name") or generated_name(r.stack_name, logical_id, 64)
    arn = r.arn("scheduler", f"schedule-group/{name}")
    if p.live:
        scheduler = p.client("scheduler")
        try:
            arn = scheduler.create_schedule_group(Name=name)["ScheduleGroupArn"]
        except scheduler.exceptions.ConflictException:
            arn = scheduler.get_schedule_group(Name=name)["Arn"]
    r.add(logical_id, resource["Type"], name, Arn=arn)


def _int_values(value: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: (int(v) if k in keys else v) for k, v in value.items()}


def _schedule_request(name: str, group: str, props: Mapping[str, Any]) -> dict[str, Any]:
    target = dict(props["Target"])
    if "RetryPolicy" in target:
        target["RetryPolicy"] = _int_values(target["RetryPolicy"], "MaximumEventAgeInSeconds", "MaximumRetryAttempts")
    request: dict[str, Any] = {
        "Name": name,
        "GroupName": group,
        "ScheduleExpression": props["ScheduleExpression"],
        "FlexibleTimeWindow": _int_values(props["FlexibleTimeWindow"], "MaximumWindowInMinutes"),
        "Target": target,
    }
    for key in ("Description", "State", "ScheduleExpressionTimezone", "StartDate", "EndDate", "KmsKeyArn"):
        if key in props:
            request[key] = props[key]
    return request


def schedule(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    props = p.props(resource)
    r = p.resources
    name = props.get("Name") or generated_name(r.stack_name, logical_id, 64)
    group = props.get("GroupName") or "default"
    arn = r.arn("scheduler", f"schedule/{group}/{name}")
    if p.live:
        scheduler = p.client("scheduler")
        try:
            arn = scheduler.create_schedule(**_schedule_request(name, group, props))["ScheduleArn"]
        except scheduler.exceptions.ConflictException:
            arn = scheduler.get_schedule(Name=name, GroupName=group)["Arn"]
    r.add(logical_id, resource["Type"], name, Arn=arn)


# ---------------------------------------------------------------------------------------------------------
# Secrets Manager
# ---------------------------------------------------------------------------------------------------------


def _random_secret(spec: Mapping[str, Any]) -> str:
    length = int(spec.get("PasswordLength", 32))
    alphabet = string.ascii_letters + string.digits + string.punctuation
    for key, chars in (
        ("ExcludeUppercase", string.ascii_uppercase),
        ("ExcludeLowercase", string.ascii_lowercase),
        ("ExcludeNumbers", string.digits),
        ("ExcludePunctuation", string.punctuation),
    ):
        if _bool_str(spec.get(key, False)) == "true":
            alphabet = "".join(c for c in alphabet if c not in chars)
    alphabet = "".join(c for c in alphabet if c not in str(spec.get("ExcludeCharacters", "")))
    value = "".join(secrets.choice(alphabet) for _ in range(length))
    if "SecretStringTemplate" in spec and "GenerateStringKey" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = value
        return json.dumps(document)
    return value


def secret(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    props = p.props(resource)
    r = p.resources
    name = props.get("Name") or generated_name(r.stack_name, logical_id, 256 - 7)
    if "SecretString" in props:
        value = str(props["SecretString"])
    elif "GenerateSecretString" in props:
        value = _random_secret(props["GenerateSecretString"])
    else:
        value = None
    arn = r.arn("secretsmanager", f"secret:{name}-AbCdEf")
    if p.live:
        sm = p.client("secretsmanager")
        request: dict[str, Any] = {"Name": name}
        if value is not None:
            request["SecretString"] = value
        for key in ("Description", "KmsKeyId", "Tags"):
            if key in props:
                request[key] = props[key]
        try:
            arn = sm.create_secret(**request)["ARN"]
        except sm.exceptions.ResourceExistsException:
            arn = sm.describe_secret(SecretId=name)["ARN"]
            if value is not None:
                sm.put_secret_value(SecretId=arn, SecretString=value)
    r.add(logical_id, resource["Type"], arn, Id=arn)


# ---------------------------------------------------------------------------------------------------------
# IAM: not emulated (moto evaluates no policy), so a role is named only; its policies stay in the template
# ---------------------------------------------------------------------------------------------------------


def role(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    declared = resource.get("Properties") or {}
    r = p.resources
    name = p.evaluator.resolve(declared["RoleName"]) if "RoleName" in declared else None
    name = name or generated_name(r.stack_name, logical_id, 64)
    path = p.evaluator.resolve(declared.get("Path", "/"))
    role_id = "AROA" + re.sub(r"[^A-Z0-9]", "", name.upper())[:17].ljust(17, "X")
    r.add(
        logical_id, resource["Type"], name, Arn=f"arn:{PARTITION}:iam::{r.account_id}:role{path}{name}", RoleId=role_id
    )


# ---------------------------------------------------------------------------------------------------------
# What the local cloud runs itself: names only
# ---------------------------------------------------------------------------------------------------------


def _declared_name(p: Provisioner, resource: Mapping[str, Any], key: str, logical_id: str, max_length: int) -> str:
    declared = (resource.get("Properties") or {}).get(key)
    return p.evaluator.resolve(declared) if declared else generated_name(p.resources.stack_name, logical_id, max_length)


def function(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    name = _declared_name(p, resource, "FunctionName", logical_id, 64)
    p.resources.add(logical_id, resource["Type"], name, Arn=p.resources.arn("lambda", f"function:{name}"))


def layer(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    name = _declared_name(p, resource, "LayerName", logical_id, 140)
    arn = p.resources.arn("lambda", f"layer:{name}:1")
    p.resources.add(logical_id, resource["Type"], arn, Arn=arn)


def event_source_mapping(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    mapping_id = derived_uuid(p.resources.stack_name, logical_id)
    arn = p.resources.arn("lambda", f"event-source-mapping:{mapping_id}")
    p.resources.add(logical_id, resource["Type"], mapping_id, Id=mapping_id, EventSourceMappingArn=arn)


def log_group(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    name = _declared_name(p, resource, "LogGroupName", logical_id, 512)
    p.resources.add(logical_id, resource["Type"], name, Arn=p.resources.arn("logs", f"log-group:{name}:*"))


def api(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    r = p.resources
    api_id = api_gateway_id(r.stack_name, logical_id)
    protocol = str((resource.get("Properties") or {}).get("ProtocolType", "HTTP")).upper()
    scheme = "wss" if protocol == "WEBSOCKET" else "https"
    endpoint = f"{scheme}://{api_id}.execute-api.{r.region}.{URL_SUFFIX}"
    r.add(logical_id, resource["Type"], api_id, ApiId=api_id, ApiEndpoint=endpoint)


def api_stage(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    declared = (resource.get("Properties") or {}).get("StageName")
    name = scalar_str(p.evaluator.resolve(declared)) if declared is not None else "$default"
    p.resources.add(logical_id, resource["Type"], name)


def api_part(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    # Integration, Route, Deployment, Authorizer...: Ref and GetAtt {Kind}Id give the same id.
    part_id = api_gateway_id(logical_id)
    kind = resource["Type"].rsplit("::", 1)[1]
    p.resources.add(logical_id, resource["Type"], part_id, **{f"{kind}Id": part_id})


def other(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    p.resources.add(logical_id, resource["Type"], generated_name(p.resources.stack_name, logical_id))


CREATORS: dict[str, Create] = {
    "AWS::DynamoDB::Table": table,
    "AWS::SQS::Queue": queue,
    "AWS::S3::Bucket": bucket,
    "AWS::Scheduler::ScheduleGroup": schedule_group,
    "AWS::Scheduler::Schedule": schedule,
    "AWS::SecretsManager::Secret": secret,
    "AWS::IAM::Role": role,
    "AWS::Lambda::Function": function,
    "AWS::Lambda::LayerVersion": layer,
    "AWS::Lambda::EventSourceMapping": event_source_mapping,
    "AWS::Logs::LogGroup": log_group,
    "AWS::ApiGatewayV2::Api": api,
    "AWS::ApiGatewayV2::Stage": api_stage,
    "AWS::ApiGatewayV2::Integration": api_part,
    "AWS::ApiGatewayV2::Route": api_part,
    "AWS::ApiGatewayV2::Deployment": api_part,
    "AWS::ApiGatewayV2::Authorizer": api_part,
    "AWS::ApiGatewayV2::RouteResponse": api_part,
    "AWS::ApiGatewayV2::IntegrationResponse": api_part,
}


def create(p: Provisioner, logical_id: str, resource: Mapping[str, Any]) -> None:
    """Create (or only name) one resource, by its type."""
    CREATORS.get(resource["Type"], other)(p, logical_id, resource)
