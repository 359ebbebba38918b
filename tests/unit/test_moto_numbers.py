"""The moto patch: a number released to exactly zero stays usable by the next ADD, as on DynamoDB."""

from __future__ import annotations

from decimal import Decimal

import boto3
from moto import mock_aws

from localcloud.moto_numbers import normalize_number_arithmetic


def test_an_add_after_a_release_to_zero_works():
    normalize_number_arithmetic()
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1")
        db.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        key = {"pk": {"S": "ledger"}}
        for amount in ("0.00001234", "-0.00001234", "0.5"):
            db.update_item(
                TableName="t", Key=key, UpdateExpression="ADD used :a", ExpressionAttributeValues={":a": {"N": amount}}
            )
        assert Decimal(db.get_item(TableName="t", Key=key)["Item"]["used"]["N"]) == Decimal("0.5")
