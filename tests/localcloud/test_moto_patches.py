"""localcloud.emulators.moto_patches: one test per patch (each shows the behaviour it gives moto), and the version
guard that refuses any moto the patches were not checked against."""

from __future__ import annotations

import re
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.moto_server.werkzeug_app import MotoRequestHandler
from moto.server import ThreadedMotoServer

from localcloud.emulators import moto_patches

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"


@pytest.fixture
def dynamodb() -> Iterator[object]:
    moto_patches.apply_all()
    with mock_aws():
        db = boto3.client("dynamodb", region_name=REGION)
        db.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield db


def waits_for(lock: threading.RLock, call: Callable[[], object]) -> None:
    """`call` from another thread does not finish while this thread holds `lock`, and finishes once it is released."""
    done = threading.Event()
    failed: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            failed.append(exc)
        done.set()

    with lock:
        thread = threading.Thread(target=run)
        thread.start()
        assert not done.wait(0.3), "the operation ran while the lock was held"
    assert done.wait(10), "the operation never finished"
    thread.join()
    assert failed == []


# --- the version guard ---


def test_the_patches_apply_only_to_the_moto_they_were_checked_against(monkeypatch):
    pinned = re.search(r"^moto\[[^\]]*\]==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)
    assert pinned and pinned[1] == moto_patches.TESTED_MOTO == moto_patches.moto_version()
    monkeypatch.setattr(moto_patches, "moto_version", lambda: "5.3.0")
    for apply in (
        moto_patches.apply_all,
        moto_patches.serialize_dynamodb,
        moto_patches.normalize_number_arithmetic,
        moto_patches.serialize_sqs,
        moto_patches.moto_server_without_nagle,
    ):
        with pytest.raises(moto_patches.UntestedMotoVersion, match=r"checked against moto 5\.2\.5, but moto 5\.3\.0"):
            apply()


# --- DynamoDB: serialized operations ---


def test_dynamodb_operations_wait_for_each_other(dynamodb):
    item = {"pk": {"S": "a"}, "sk": {"S": "1"}}
    waits_for(moto_patches.DYNAMODB_LOCK, lambda: dynamodb.put_item(TableName="t", Item=item))
    waits_for(moto_patches.DYNAMODB_LOCK, lambda: dynamodb.get_item(TableName="t", Key=item))


def test_concurrent_conditional_adds_never_pass_the_limit(dynamodb):
    """What the budget ledger relies on: a conditional ADD is atomic per item, as in DynamoDB."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can
    key = {"pk": {"S": "ledger"}, "sk": {"S": "day"}}
    accepted = []

    def spend() -> None:
        for _ in range(15):
            try:
                dynamodb.update_item(
                    TableName="t",
                    Key=key,
                    UpdateExpression="ADD used :one",
                    ConditionExpression="attribute_not_exists(used) OR used < :limit",
                    ExpressionAttributeValues={":one": {"N": "1"}, ":limit": {"N": "20"}},
                )
                accepted.append(1)
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "ConditionalCheckFailedException"

    try:
        threads = [threading.Thread(target=spend) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(previous)
    assert len(accepted) == 20
    assert dynamodb.get_item(TableName="t", Key=key)["Item"]["used"] == {"N": "20"}


# --- DynamoDB: transactions back up the items they touch, not whole tables ---


def test_a_failed_transaction_leaves_every_item_as_it_was_and_the_table_uncopied(dynamodb):
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    table = backend.tables["t"]
    dynamodb.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"N": "1"}})
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}, "v": {"N": "9"}}}},
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}},
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"N": "5"}},
                    }
                },
                {
                    "Put": {
                        "TableName": "t",
                        "Item": {"pk": {"S": "b"}, "sk": {"S": "1"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert dynamodb.scan(TableName="t")["Items"] == [{"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"N": "1"}}]
    assert backend.tables["t"] is table  # moto's own rollback would have put a deep copy in its place
    dynamodb.transact_write_items(
        TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}}}}]
    )
    assert dynamodb.scan(TableName="t")["Count"] == 2
    assert backend.tables["t"] is table


# --- DynamoDB: numbers in plain notation ---


def test_an_add_after_a_release_to_exactly_zero_works(dynamodb):
    key = {"pk": {"S": "ledger"}, "sk": {"S": "day"}}
    for amount in ("0.00001234", "-0.00001234", "0.5"):
        dynamodb.update_item(
            TableName="t", Key=key, UpdateExpression="ADD used :a", ExpressionAttributeValues={":a": {"N": amount}}
        )
    assert Decimal(dynamodb.get_item(TableName="t", Key=key)["Item"]["used"]["N"]) == Decimal("0.5")


# --- SQS: serialized operations, and the pollers' signal ---


@pytest.fixture
def queue() -> Iterator[tuple[object, str]]:
    moto_patches.apply_all()
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        yield sqs, sqs.create_queue(QueueName="q")["QueueUrl"]


def test_sqs_operations_wait_for_each_other(queue):
    sqs, url = queue
    waits_for(moto_patches.SQS_LOCK, lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))
    waits_for(moto_patches.SQS_LOCK, lambda: sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0))


def test_a_waiting_poller_is_woken_by_a_send(queue):
    sqs, url = queue
    woken = threading.Event()
    waiting = threading.Event()

    def poller() -> None:
        with moto_patches.SQS_ACTIVITY:
            waiting.set()
            if moto_patches.SQS_ACTIVITY.wait(10):
                woken.set()

    thread = threading.Thread(target=poller)
    thread.start()
    assert waiting.wait(5)
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    thread.join()
    assert woken.is_set()


# --- moto's server ---


def test_moto_server_turns_nagles_algorithm_off_on_every_connection(monkeypatch):
    moto_patches.moto_server_without_nagle()
    nodelay: list[int] = []
    setup = MotoRequestHandler.setup

    def recording_setup(handler: MotoRequestHandler) -> None:
        setup(handler)
        nodelay.append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(MotoRequestHandler, "setup", recording_setup)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        boto3.client("sqs", endpoint_url=f"http://{host}:{port}", region_name=REGION).list_queues()
    finally:
        server.stop()
    assert nodelay and all(nodelay)
