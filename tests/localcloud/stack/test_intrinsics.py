"""localcloud.stack.intrinsics: parameters, conditions and the intrinsic functions."""

from __future__ import annotations

import pytest

from localcloud.stack import NO_VALUE, Resources, TemplateError, evaluate_conditions, parameters, resolve


@pytest.fixture
def fake() -> Resources:
    r = Resources(stack_name="st", region="eu-west-1", account_id="111122223333")
    r.add("Queue", "AWS::SQS::Queue", "https://q/url", Arn="arn:aws:sqs:eu-west-1:111122223333:q", QueueName="q")
    r.add("Table", "AWS::DynamoDB::Table", "st-Table", Arn="arn:table")
    return r


def test_parameters_defaults_and_overrides(sam_template: dict) -> None:
    params = parameters(sam_template)
    assert params["StepMaxReceiveCount"] == "5"
    assert params["GracefulThreshold"] == "0.90"
    assert params["RedisUrl"] == ""
    assert params["AnthropicApiKey"]
    assert params["JwtAudience"] == "cofounder"
    assert params["JwtIssuer"].startswith("https://cognito-idp.us-east-1.amazonaws.com/")
    assert params["CorsOrigin"] == "http://localhost:3000"
    assert params["WebSocketStageName"] == "live"
    assert parameters(sam_template, {"StepCap": 7})["StepCap"] == "7"
    with pytest.raises(TemplateError, match="unknown parameter"):
        parameters(sam_template, {"Nope": "x"})
    with pytest.raises(TemplateError, match="no Default"):
        parameters({"Parameters": {"Required": {"Type": "String"}}})
    assert parameters({"Parameters": {"L": {"Type": "CommaDelimitedList", "Default": "a, b"}}}) == {"L": ["a", "b"]}
    assert parameters({"Parameters": {"B": {"Type": "String", "Default": True}}}) == {"B": "true"}


def test_ref_getatt_and_pseudo_parameters(fake: Resources) -> None:
    params = {"Env": "prod"}
    assert resolve({"Ref": "Queue"}, fake, params) == "https://q/url"
    assert resolve({"Ref": "Env"}, fake, params) == "prod"
    assert resolve({"Ref": "AWS::Region"}, fake) == "eu-west-1"
    assert resolve({"Ref": "AWS::AccountId"}, fake) == "111122223333"
    assert resolve({"Ref": "AWS::StackName"}, fake) == "st"
    assert resolve({"Ref": "AWS::Partition"}, fake) == "aws"
    assert resolve({"Ref": "AWS::URLSuffix"}, fake) == "amazonaws.com"
    assert resolve({"Fn::GetAtt": ["Queue", "QueueName"]}, fake) == "q"
    assert resolve({"Fn::GetAtt": "Queue.Arn"}, fake) == "arn:aws:sqs:eu-west-1:111122223333:q"
    with pytest.raises(TemplateError, match="Missing"):
        resolve({"Ref": "Missing"}, fake)
    with pytest.raises(TemplateError, match="no attribute 'Nope'"):
        resolve({"Fn::GetAtt": ["Queue", "Nope"]}, fake)
    with pytest.raises(TemplateError, match="unknown pseudo parameter"):
        resolve({"Ref": "AWS::Nope"}, fake)


def test_sub(fake: Resources) -> None:
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


def test_join_select_split_base64_length_json(fake: Resources) -> None:
    assert resolve({"Fn::Join": [":", ["a", {"Ref": "Table"}, 3]]}, fake) == "a:st-Table:3"
    assert resolve({"Fn::Join": ["", []]}, fake) == ""
    assert resolve({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}, fake) == "y"
    assert resolve({"Fn::Base64": "hi"}, fake) == "aGk="
    assert resolve({"Fn::Length": [1, 2, 3]}, fake) == 3
    assert resolve({"Fn::ToJsonString": {"a": {"Ref": "Table"}}}, fake) == '{"a":"st-Table"}'
    assert resolve({"Fn::GetAZs": ""}, fake) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    with pytest.raises(TemplateError, match="cross-stack"):
        resolve({"Fn::ImportValue": "x"}, fake)
    with pytest.raises(TemplateError, match="unsupported"):
        resolve({"Fn::Nope": 1}, fake)


def test_if_and_conditions(fake: Resources) -> None:
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


def test_a_condition_that_refers_to_itself_is_refused() -> None:
    declared = {"Conditions": {"A": {"Fn::Not": [{"Condition": "B"}]}, "B": {"Fn::Not": [{"Condition": "A"}]}}}
    with pytest.raises(TemplateError, match="refers to itself"):
        evaluate_conditions(declared, {})


def test_find_in_map(fake: Resources) -> None:
    mappings = {"Sizes": {"eu-west-1": {"Memory": 1024}}}
    value = {"Fn::FindInMap": ["Sizes", {"Ref": "AWS::Region"}, "Memory"]}
    assert resolve(value, fake, mappings=mappings) == 1024
    with pytest.raises(TemplateError, match="Sizes/eu-west-1/Disk"):
        resolve({"Fn::FindInMap": ["Sizes", {"Ref": "AWS::Region"}, "Disk"]}, fake, mappings=mappings)
