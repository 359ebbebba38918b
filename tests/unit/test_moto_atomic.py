import boto3
import pytest
from moto import mock_aws

from localcloud.moto_atomic import serialize_dynamodb


def test_a_failed_transaction_leaves_every_item_as_it_was():
    serialize_dynamodb()
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1")
        db.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        db.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"N": "1"}})
        with pytest.raises(db.exceptions.TransactionCanceledException):
            db.transact_write_items(
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
        items = db.scan(TableName="t")["Items"]
        assert items == [{"pk": {"S": "a"}, "sk": {"S": "1"}, "v": {"N": "1"}}]
        db.transact_write_items(
            TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}, "sk": {"S": "2"}}}}]
        )
        assert db.scan(TableName="t")["Count"] == 2
