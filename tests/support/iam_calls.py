"""The AWS calls the functions' code makes, as IAM sees them: found in the source, and recorded while it runs.

- :func:`operations_in_source`: every boto3 operation the layer and the handlers can call (``<x>.put_item(...)``
  where ``put_item`` is an operation of a service the code builds a client for with ``.client("dynamodb")``, and
  ``<x>.get_paginator("list_objects_v2")``).
- :func:`iam_requests`: what IAM authorizes for one call (``TransactWriteItems`` is a ``dynamodb:PutItem`` /
  ``UpdateItem`` / ``DeleteItem`` / ``ConditionCheckItem`` per item on its table; ``CreateSchedule`` passes its
  target's role: ``iam:PassRole``; a ``Query`` on an index is on ``table/<t>/index/<i>``).
- :class:`CallRecorder`: every boto3 client created while it is installed reports its calls (a botocore
  ``before-parameter-build`` hook, which sees the call's parameters once, before any retry), each attributed to
  the function whose handler is running; the WebSocket pushes, which go through the management API's HTTP client
  and not boto3, are read from the test management API server's request log.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import botocore.session
from botocore import xform_name

ROOT = Path(__file__).resolve().parents[2]
SOURCE_FOLDERS = (ROOT / "layers" / "cofounder" / "cofounder", ROOT / "functions")
MANAGE_CONNECTIONS = "execute-api:ManageConnections"


@dataclass(frozen=True, order=True)
class Operation:
    service: str  # the IAM prefix (botocore's signing name): dynamodb, s3, sqs, scheduler, secretsmanager...
    name: str  # PutItem

    def __str__(self) -> str:
        return f"{self.service}:{self.name}"


@dataclass(frozen=True, order=True)
class SourceCall:
    operation: Operation
    where: str  # path:line


def operations_in_source(folders: tuple[Path, ...] = SOURCE_FOLDERS) -> list[SourceCall]:
    """Every call of a boto3 operation in the code, found by name among the services it builds clients for."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for f in folders for path in sorted(f.rglob("*.py"))}
    services = {
        node.args[0].value
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "client"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    session = botocore.session.get_session()
    by_method: dict[str, list[Operation]] = {}
    for service in sorted(services):
        model = session.get_service_model(service)
        prefix = model.signing_name or model.endpoint_prefix
        for name in model.operation_names:
            by_method.setdefault(xform_name(name), []).append(Operation(prefix, name))
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method = node.func.attr
            if method == "get_paginator" and node.args and isinstance(node.args[0], ast.Constant):
                method = node.args[0].value  # client.get_paginator("list_objects_v2") calls list_objects_v2
            where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno}"
            found.extend(SourceCall(op, where) for op in by_method.get(method, ()))
    return sorted(found)


# ---------------------------------------------------------------------------------------------------------
# One call -> what IAM authorizes
# ---------------------------------------------------------------------------------------------------------


class UnmappedOperation(LookupError):
    pass


_TRANSACT_WRITE = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_S3_OBJECT = {
    "PutObject": "PutObject",
    "GetObject": "GetObject",
    "HeadObject": "GetObject",
    "DeleteObject": "DeleteObject",
}
_S3_BUCKET = {"ListObjectsV2": "ListBucket", "ListObjects": "ListBucket", "HeadBucket": "ListBucket"}
_SQS_BATCH = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def iam_requests(operation: Operation, params: Mapping[str, Any], region: str, account: str) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) for everything IAM checks when `operation` is called with `params`."""
    service, name = operation.service, operation.name

    def arn(resource: str) -> str:
        return f"arn:aws:{service}:{region}:{account}:{resource}"

    if service == "dynamodb":
        if name == "TransactWriteItems":
            return [
                (f"dynamodb:{_TRANSACT_WRITE[kind]}", arn(f"table/{request['TableName']}"))
                for item in params["TransactItems"]
                for kind, request in item.items()
            ]
        if name == "TransactGetItems":
            return [("dynamodb:GetItem", arn(f"table/{i['Get']['TableName']}")) for i in params["TransactItems"]]
        if name in ("BatchWriteItem", "BatchGetItem"):
            return [(f"dynamodb:{name}", arn(f"table/{table}")) for table in params["RequestItems"]]
        index = f"/index/{params['IndexName']}" if "IndexName" in params else ""
        return [(f"dynamodb:{name}", arn(f"table/{params['TableName']}{index}"))]
    if service == "s3":
        if name in _S3_OBJECT:
            return [(f"s3:{_S3_OBJECT[name]}", f"arn:aws:s3:::{params['Bucket']}/{params['Key']}")]
        if name in _S3_BUCKET:
            return [(f"s3:{_S3_BUCKET[name]}", f"arn:aws:s3:::{params['Bucket']}")]
        if name == "DeleteObjects":  # authorized object by object
            return [
                ("s3:DeleteObject", f"arn:aws:s3:::{params['Bucket']}/{o['Key']}") for o in params["Delete"]["Objects"]
            ]
    if service == "sqs" and "QueueUrl" in params:
        queue_account, queue_name = urlparse(params["QueueUrl"]).path.strip("/").split("/")[-2:]
        return [(f"sqs:{_SQS_BATCH.get(name, name)}", f"arn:aws:sqs:{region}:{queue_account}:{queue_name}")]
    if service == "scheduler" and name.endswith("Schedule"):
        schedule = arn(f"schedule/{params.get('GroupName') or 'default'}/{params['Name']}")
        passed = [("iam:PassRole", params["Target"]["RoleArn"])] if name in ("CreateSchedule", "UpdateSchedule") else []
        return [(f"scheduler:{name}", schedule), *passed]
    if service == "secretsmanager" and "SecretId" in params:
        secret = params["SecretId"]
        return [(f"secretsmanager:{name}", secret if secret.startswith("arn:") else arn(f"secret:{secret}-??????"))]
    if service == "sts" and name == "GetCallerIdentity":
        return []  # needs no permission
    raise UnmappedOperation(
        f"{operation}: how IAM authorizes it is not mapped; add it to tests/support/iam_calls.py iam_requests"
    )


# ---------------------------------------------------------------------------------------------------------
# Recording what runs
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Recorded:
    function: str
    action: str
    arn: str
    operation: str  # the call it comes from (dynamodb:TransactWriteItems, management API POST)


class CallRecorder:
    """Install with :meth:`install` (monkeypatch); then run each handler inside :meth:`as_function`."""

    def __init__(self, region: str, account: str, management_server: Any, api_id: str) -> None:
        self.region, self.account = region, account
        self.management = management_server
        self.api_id = api_id
        self.calls: list[Recorded] = []
        self.unmapped: list[str] = []
        """Calls whose IAM authorization :func:`iam_requests` does not know (reported, never raised into the code)."""
        self._function: str | None = None
        self._lock = threading.Lock()

    def install(self, monkeypatch: Any) -> None:
        """Hook every boto3/botocore client created from now on (whatever session it comes from)."""
        create_client = botocore.session.Session.create_client

        def recording_create_client(session: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = create_client(session, *args, **kwargs)
            client.meta.events.register("before-parameter-build.*.*", self._on_call)
            return client

        monkeypatch.setattr(botocore.session.Session, "create_client", recording_create_client)

    def _on_call(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        function = self._function  # pushes run on pool threads: a plain attribute, not a context variable
        if function is None:
            return  # the test's own setup
        service_model = model.service_model
        operation = Operation(service_model.signing_name or service_model.endpoint_prefix, model.name)
        try:
            requests = iam_requests(operation, params, self.region, self.account)
        except UnmappedOperation as exc:
            with self._lock:
                self.unmapped.append(f"{function}: {exc}")
            return
        with self._lock:
            self.calls.extend(Recorded(function, action, arn, str(operation)) for action, arn in requests)

    @contextmanager
    def as_function(self, function_id: str) -> Iterator[None]:
        """Attribute every call made inside to `function_id` (one handler runs at a time)."""
        assert self._function is None, f"{self._function} is still running"
        pushed_before = len(self.management.requests)
        self._function = function_id
        try:
            yield
        finally:
            self._function = None
            for request in self.management.requests[pushed_before:]:
                stage = unquote(request.path).strip("/").split("/", 1)[0]
                arn = (
                    f"arn:aws:execute-api:{self.region}:{self.account}:{self.api_id}/{stage}/{request.method}"
                    f"/@connections/{request.connection_id}"
                )
                self.calls.append(Recorded(function_id, MANAGE_CONNECTIONS, arn, f"management API {request.method}"))
