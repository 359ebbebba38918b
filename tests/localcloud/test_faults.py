"""Fault injection on the local cloud's AWS port: which call a request is, AWS-shaped errors, botocore's retries."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import create_parser

from localcloud.emulators.faults import PATH, FaultRegistry, answer, http_routes
from localcloud.emulators.faults_errors import choose_error, error_response
from localcloud.emulators.faults_operations import AwsCall, AwsRequest, identify
from localcloud.emulators.faults_wsgi import AwsServer

REGION = "us-east-1"


def signed(service: str) -> dict[str, str]:
    credential = f"local/20260101/{REGION}/{service}/aws4_request"
    return {"authorization": f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=00"}


def call_of(service: str, method: str, path: str, query: str = "", **headers: str) -> tuple[str, str, str] | None:
    request = AwsRequest(method, path, parse_qs(query, keep_blank_values=True), {**signed(service), **headers})
    found = identify(request)
    return None if found is None else (found.service, found.operation, found.protocol)


# -- which call a request is --------------------------------------------------------------------------------


def test_json_protocols_name_the_operation_in_x_amz_target():
    assert call_of("dynamodb", "POST", "/", **{"x-amz-target": "DynamoDB_20120810.GetItem"}) == (
        "dynamodb",
        "GetItem",
        "json",
    )
    assert call_of("sqs", "POST", "/", **{"x-amz-target": "AmazonSQS.SendMessage"}) == ("sqs", "SendMessage", "json")


def test_the_query_protocol_names_it_in_action_in_the_form_body_or_the_query_string():
    form = AwsRequest("POST", "/", {}, signed("sqs"), {"Action": ["SendMessage"], "MessageBody": ["x"]})
    assert identify(form) == AwsCall("sqs", "SendMessage", "query")
    assert call_of("sqs", "GET", "/", "Action=ReceiveMessage") == ("sqs", "ReceiveMessage", "query")


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "operation"),
    [
        ("PUT", "/bucket-a/notes/one.json", "", {}, "PutObject"),
        ("PUT", "/bucket-a/notes/one.json", "", {"x-amz-copy-source": "/bucket-a/two"}, "CopyObject"),
        ("PUT", "/bucket-a/big", "partNumber=1&uploadId=u", {}, "UploadPart"),
        ("GET", "/bucket-a/notes/one.json", "", {}, "GetObject"),
        ("GET", "/bucket-a/notes/one.json", "tagging", {}, "GetObjectTagging"),
        ("HEAD", "/bucket-a/notes/one.json", "", {}, "HeadObject"),
        ("DELETE", "/bucket-a/notes/one.json", "", {}, "DeleteObject"),
        ("GET", "/bucket-a", "list-type=2&prefix=notes", {}, "ListObjectsV2"),
        ("GET", "/bucket-a", "prefix=notes", {}, "ListObjects"),
        ("POST", "/bucket-a", "delete", {}, "DeleteObjects"),
        ("PUT", "/bucket-a", "", {}, "CreateBucket"),
        ("GET", "/", "", {}, "ListBuckets"),
        ("PUT", "/one.json", "", {"host": "bucket-a.localhost:4566"}, "PutObject"),  # virtual-hosted style
    ],
)
def test_s3_operations_are_told_apart_by_method_path_query_and_headers(method, path, query, headers, operation):
    assert call_of("s3", method, path, query, **headers) == ("s3", operation, "rest-xml")


@pytest.mark.parametrize(
    ("service", "method", "path", "operation"),
    [
        ("scheduler", "POST", "/schedules/wake-job-1", "CreateSchedule"),
        ("scheduler", "GET", "/schedules/wake-job-1", "GetSchedule"),
        ("scheduler", "PUT", "/schedules/wake-job-1", "UpdateSchedule"),
        ("scheduler", "DELETE", "/schedules/wake-job-1", "DeleteSchedule"),
        ("scheduler", "GET", "/schedules", "ListSchedules"),
        ("scheduler", "POST", "/schedule-groups/cofounder", "CreateScheduleGroup"),
        ("lambda", "POST", "/2015-03-31/functions/cofounder-WakeFunction/invocations", "Invoke"),
        ("lambda", "GET", "/2015-03-31/functions/", "ListFunctions"),
    ],
)
def test_rest_json_operations_come_from_botocores_request_uris(service, method, path, operation):
    assert call_of(service, method, path) == (service, operation, "rest-json")


def test_unsigned_requests_and_other_services_are_no_call_to_fail():
    assert identify(AwsRequest("POST", "/", {}, {"x-amz-target": "DynamoDB_20120810.GetItem"})) is None
    assert call_of("sts", "POST", "/", "Action=GetCallerIdentity") is None
    assert call_of("s3", "PATCH", "/bucket-a/key") is None


def test_a_presigned_url_names_its_service_in_x_amz_credential():
    query = {"X-Amz-Credential": [f"local/20260101/{REGION}/s3/aws4_request"], "X-Amz-Signature": ["00"]}
    found = identify(AwsRequest("GET", "/bucket-a/key", query, {}))
    assert found is not None and (found.service, found.operation) == ("s3", "GetObject")


# -- which error ------------------------------------------------------------------------------------------


def test_by_default_a_fault_is_a_500_that_botocore_retries():
    assert choose_error("dynamodb", None, None) == (500, "InternalServerError", True)
    assert choose_error("s3", 503, None) == (503, "SlowDown", True)
    assert choose_error("scheduler", 429, None) == (429, "ThrottlingException", True)


def test_a_retryable_4xx_carries_a_throttling_or_transient_code():
    assert choose_error("dynamodb", 400, True) == (400, "ThrottlingException", True)
    assert choose_error("sqs", 400, True) == (400, "RequestThrottled", True)
    assert choose_error("s3", 400, True) == (400, "RequestTimeout", True)
    assert choose_error("lambda", None, True) == (500, "ServiceException", True)


def test_a_non_retryable_fault_is_a_4xx_botocore_raises_at_once():
    assert choose_error("dynamodb", None, False) == (400, "ValidationException", False)
    assert choose_error("dynamodb", 400, None) == (400, "ValidationException", False)
    assert choose_error("sqs", 403, False) == (403, "AccessDenied", False)
    assert choose_error("scheduler", 404, None) == (404, "ResourceNotFoundException", False)


@pytest.mark.parametrize(("status", "retryable"), [(500, False), (503, False), (429, False), (501, True)])
def test_a_status_botocore_would_treat_otherwise_is_refused(status, retryable):
    with pytest.raises(ValueError, match="botocore"):
        choose_error("dynamodb", status, retryable)


@pytest.mark.parametrize(
    ("service", "protocol", "status", "code"),
    [
        ("dynamodb", "json", 400, "ThrottlingException"),
        ("sqs", "json", 500, "InternalFailure"),
        ("sqs", "query", 400, "InvalidParameterValue"),
        ("s3", "rest-xml", 503, "SlowDown"),
        ("scheduler", "rest-json", 404, "ResourceNotFoundException"),
        ("lambda", "rest-json", 429, "TooManyRequestsException"),
    ],
)
def test_botocore_reads_each_protocols_error_as_its_code_and_message(service, protocol, status, code):
    status, headers, body = error_response(service, protocol, status, code, "Injected.")
    response = {"status_code": status, "headers": {k.lower(): v for k, v in headers}, "body": body}
    parsed = create_parser(protocol).parse(response, None)
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == "Injected."
    assert int(dict(headers)["Content-Length"]) == len(body)


def test_dynamodbs_error_is_json_1_0_with_a_namespaced_type():
    _, headers, body = error_response("dynamodb", "json", 500, "InternalServerError", "m")
    assert dict(headers)["Content-Type"] == "application/x-amz-json-1.0"
    assert json.loads(body)["__type"] == "com.amazonaws.dynamodb.v20120810#InternalServerError"


def test_sqs_json_errors_carry_the_query_compatible_code():
    _, headers, _ = error_response("sqs", "json", 400, "RequestThrottled", "m")
    assert dict(headers)["x-amzn-query-error"] == "RequestThrottled;Sender"


def test_an_s3_head_error_has_no_body():
    assert error_response("s3", "rest-xml", 403, "AccessDenied", "m", head=True)[2] == b""


# -- the registry and its API -----------------------------------------------------------------------------


def test_faults_are_used_once_per_request_in_the_order_they_were_added_and_vanish_when_used_up():
    faults = FaultRegistry()
    first = faults.add("sqs", "SendMessage", 1)
    second = faults.add("sqs", "SendMessage", 2, status=400, retryable=False)
    assert faults.take("sqs", "ReceiveMessage") is None
    assert faults.take("dynamodb", "SendMessage") is None
    assert faults.take("sqs", "SendMessage").id == first.id
    assert [(f.id, f.remaining) for f in faults.active()] == [(second.id, 2)]
    assert faults.take("sqs", "SendMessage").code == "InvalidParameterValue"
    assert faults.take("sqs", "SendMessage").remaining == 0
    assert faults.take("sqs", "SendMessage") is None
    assert faults.active() == [] and faults.services == frozenset()


def test_the_api_adds_lists_and_clears():
    faults = FaultRegistry()
    status, headers, body = answer(faults, "POST", b'{"service": "dynamodb", "operation": "GetItem", "times": 3}')
    assert status == 201 and headers["content-type"] == "application/json"
    added = json.loads(body)
    assert {k: added[k] for k in ("status", "code", "retryable", "times", "remaining")} == {
        "status": 500,
        "code": "InternalServerError",
        "retryable": True,
        "times": 3,
        "remaining": 3,
    }
    faults.take("dynamodb", "GetItem")
    listed = json.loads(answer(faults, "GET", None)[2])["faults"]
    assert [(f["id"], f["remaining"]) for f in listed] == [(added["id"], 2)]
    assert answer(faults, "DELETE", None)[:1] == (200,)
    assert json.loads(answer(faults, "GET", None)[2]) == {"faults": []}
    assert answer(faults, "PUT", b"{}")[0] == 405


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        (b"not json", 400, []),
        (b"[]", 400, []),
        (b'{"service": "ec2", "operation": "RunInstances", "times": 1}', 422, ["service"]),
        (b'{"service": "sqs", "operation": "GetItem", "times": 1}', 422, ["operation"]),
        (b'{"service": "sqs", "operation": "SendMessage", "times": 0}', 422, ["times"]),
        (b'{"service": "sqs", "operation": "SendMessage", "times": true}', 422, ["times"]),
        (b'{"service": "sqs", "operation": "SendMessage", "times": 1, "status": 200}', 422, ["status"]),
        (b'{"service": "sqs", "operation": "SendMessage", "times": 1, "retryable": "no"}', 422, ["retryable"]),
        (b'{"service": "sqs", "operation": "SendMessage", "times": 1, "time": 2}', 422, ["time"]),
        (b'{"service": "sqs", "operation": "SendMessage", "times": 1, "status": 500, "retryable": false}', 422, None),
    ],
)
def test_the_api_refuses_what_it_cannot_inject(body, status, fields):
    answered, _, reply = answer(FaultRegistry(), "POST", body)
    assert answered == status
    if fields is not None:
        assert json.loads(reply)["fields"] == fields


def test_the_http_ports_routes_answer_the_same_api():
    @dataclass
    class Request:
        body: bytes

    faults = FaultRegistry()
    routes = http_routes(faults)
    assert set(routes) == {("GET", PATH), ("POST", PATH), ("DELETE", PATH)}
    assert routes["POST", PATH](Request(b'{"service": "s3", "operation": "PutObject", "times": 1}'))[0] == 201
    assert len(json.loads(routes["GET", PATH](Request(b""))[2])["faults"]) == 1


# -- against moto, with boto3's own retries ---------------------------------------------------------------


@dataclass
class Aws:
    server: AwsServer
    clients: dict[str, Any]
    queue_url: str

    def client(self, service: str, **config: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.server.url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            config=Config(**config) if config else None,
        )

    def faults(self) -> list[dict[str, Any]]:
        return httpx.get(f"{self.server.url}{PATH}").json()["faults"]

    def inject(self, **fault: Any) -> dict[str, Any]:
        answered = httpx.post(f"{self.server.url}{PATH}", json=fault)
        assert answered.status_code == 201, answered.text
        return answered.json()


TABLE, BUCKET, GROUP = "faults-table", "faults-bucket", "default"
TARGET = {"Arn": "arn:aws:lambda:us-east-1:123456789012:function:wake", "RoleArn": "arn:aws:iam::123456789012:role/r"}


def create_schedule(scheduler: Any, name: str | None = None) -> Any:
    return scheduler.create_schedule(
        Name=name or f"wake-{uuid.uuid4().hex[:8]}",
        ScheduleExpression="at(2030-01-01T00:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=TARGET,
    )


def delete_a_new_schedule(scheduler: Any) -> Any:
    name = f"gone-{uuid.uuid4().hex[:8]}"
    create_schedule(scheduler, name)
    return scheduler.delete_schedule(Name=name)


CALLS: dict[tuple[str, str], Callable[[Any, Aws], Any]] = {
    ("dynamodb", "GetItem"): lambda c, aws: c.get_item(TableName=TABLE, Key={"id": {"S": "known"}}),
    ("dynamodb", "PutItem"): lambda c, aws: c.put_item(TableName=TABLE, Item={"id": {"S": uuid.uuid4().hex}}),
    ("sqs", "SendMessage"): lambda c, aws: c.send_message(QueueUrl=aws.queue_url, MessageBody="hello"),
    ("sqs", "ReceiveMessage"): lambda c, aws: c.receive_message(QueueUrl=aws.queue_url, WaitTimeSeconds=0),
    ("s3", "PutObject"): lambda c, aws: c.put_object(Bucket=BUCKET, Key="notes/new.json", Body=b"{}"),
    ("s3", "GetObject"): lambda c, aws: c.get_object(Bucket=BUCKET, Key="notes/known.json")["Body"].read(),
    ("s3", "DeleteObject"): lambda c, aws: c.delete_object(Bucket=BUCKET, Key="notes/gone.json"),
    ("s3", "ListObjectsV2"): lambda c, aws: c.list_objects_v2(Bucket=BUCKET, Prefix="notes/"),
    ("scheduler", "CreateSchedule"): lambda c, aws: create_schedule(c),
    ("scheduler", "GetSchedule"): lambda c, aws: c.get_schedule(Name="known"),
    ("scheduler", "DeleteSchedule"): lambda c, aws: delete_a_new_schedule(c),
    ("lambda", "ListFunctions"): lambda c, aws: c.list_functions(),
}
ONE_PER_SERVICE = [
    ("dynamodb", "GetItem"),
    ("sqs", "SendMessage"),
    ("s3", "PutObject"),
    ("scheduler", "CreateSchedule"),
    ("lambda", "ListFunctions"),
]


@pytest.fixture(scope="module")
def moto_server() -> Iterator[Aws]:
    with AwsServer() as server:
        aws = Aws(server, {}, "")
        aws.clients = {service: aws.client(service) for service in ("dynamodb", "sqs", "s3", "scheduler", "lambda")}
        aws.clients["dynamodb"].create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        aws.clients["dynamodb"].put_item(TableName=TABLE, Item={"id": {"S": "known"}})
        aws.queue_url = aws.clients["sqs"].create_queue(QueueName="faults-queue")["QueueUrl"]
        aws.clients["s3"].create_bucket(Bucket=BUCKET)
        aws.clients["s3"].put_object(Bucket=BUCKET, Key="notes/known.json", Body=b"{}")
        create_schedule(aws.clients["scheduler"], "known")
        yield aws


@pytest.fixture
def aws(moto_server: Aws) -> Iterator[Aws]:
    yield moto_server
    httpx.delete(f"{moto_server.server.url}{PATH}")  # no test leaves a fault to the next one


@pytest.mark.parametrize(("service", "operation"), ONE_PER_SERVICE)
def test_a_retryable_fault_is_retried_away_by_botocore(aws, service, operation):
    aws.inject(service=service, operation=operation, times=2)
    result = CALLS[service, operation](aws.clients[service], aws)
    if isinstance(result, dict):
        assert result["ResponseMetadata"]["RetryAttempts"] == 2
    assert aws.faults() == []


@pytest.mark.parametrize(("service", "operation"), ONE_PER_SERVICE)
def test_a_fault_that_outlasts_the_retries_raises_its_code(aws, service, operation):
    fault = aws.inject(service=service, operation=operation, times=10)
    client = aws.client(service, retries={"mode": "standard", "total_max_attempts": 2})  # the default waits up to 7 s
    with pytest.raises(ClientError) as raised:
        CALLS[service, operation](client, aws)
    assert raised.value.response["Error"]["Code"] == fault["code"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == fault["status"] == 500
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 1
    assert [f["remaining"] for f in aws.faults()] == [8]


@pytest.mark.parametrize(("service", "operation"), list(CALLS))
def test_a_non_retryable_fault_raises_at_once_and_only_once(aws, service, operation):
    fault = aws.inject(service=service, operation=operation, times=1, retryable=False)
    with pytest.raises(ClientError) as raised:
        CALLS[service, operation](aws.clients[service], aws)
    error = raised.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (fault["code"], 400)
    assert error["ResponseMetadata"]["RetryAttempts"] == 0
    assert aws.faults() == []
    CALLS[service, operation](aws.clients[service], aws)  # the next call reaches moto


def test_a_fault_fails_only_its_own_operation(aws):
    aws.inject(service="dynamodb", operation="GetItem", times=1, retryable=False)
    CALLS["dynamodb", "PutItem"](aws.clients["dynamodb"], aws)
    aws.clients["sqs"].get_queue_url(QueueName="faults-queue")
    assert [(f["operation"], f["remaining"]) for f in aws.faults()] == [("GetItem", 1)]


def test_the_api_on_the_aws_port_lists_and_clears(aws):
    first = aws.inject(service="sqs", operation="SendMessage", times=3)
    second = aws.inject(service="scheduler", operation="DeleteSchedule", status=404, times=1)
    assert second["code"] == "ResourceNotFoundException" and second["retryable"] is False
    assert [(f["id"], f["remaining"]) for f in aws.faults()] == [(first["id"], 3), (second["id"], 1)]
    assert httpx.delete(f"{aws.server.url}{PATH}").json() == {"cleared": 2}
    assert aws.faults() == []
    refused = httpx.post(f"{aws.server.url}{PATH}", json={"service": "sqs", "operation": "Nope", "times": 1})
    assert refused.status_code == 422 and refused.json()["fields"] == ["operation"]


def test_the_api_answers_only_a_loopback_host(aws):
    assert (
        httpx.get(f"{aws.server.url}{PATH}", headers={"host": f"rebound.example:{aws.server.port}"}).status_code == 421
    )
    assert httpx.get(f"{aws.server.url}{PATH}", headers={"host": f"localhost:{aws.server.port}"}).status_code == 200
