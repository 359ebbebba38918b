"""samtranslator (the transform AWS runs) is the reference: the committed translation of template.yaml is what it
makes today, and what the local cloud reads from it is what the SAM template says (every function, route, event
source, schedule, environment variable and policy).

Marked ``sam``: runs samtranslator in the SAM CLI's venv (``make sam-setup``; ``make test`` does it first).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from localcloud.stack import (
    cloudformation,
    event_source_mappings,
    functions,
    http_routes,
    load_template,
    plan,
    provision,
    sam,
    websocket_routes,
)
from localcloud.stack.sam import COMMITTED, SAM_PYTHON, translate
from tests.localcloud.stack.support import ROOT, client

pytestmark = pytest.mark.sam

SAM_TEMPLATE = load_template(ROOT / "template.yaml")


@pytest.fixture(scope="module")
def fresh() -> dict:
    """template.yaml translated by samtranslator now, no cache involved."""
    if not os.access(SAM_PYTHON, os.X_OK):
        pytest.fail(f"{SAM_PYTHON} is missing: run `make sam-setup` (`make test` does it first)")
    return translate(SAM_TEMPLATE)


def test_the_committed_translation_is_what_samtranslator_makes_now(fresh: dict) -> None:
    committed = json.loads(COMMITTED.read_text())
    assert committed == fresh, (
        "localcloud/stack/template.translated.json is stale (template.yaml or samtranslator changed):"
        " run `python -m localcloud.stack` and commit it"
    )


def _globals(key: str, default: object = None) -> object:
    return (SAM_TEMPLATE.get("Globals") or {}).get("Function", {}).get(key, default)


def _sam_functions() -> dict[str, dict]:
    return {
        lid: {**(SAM_TEMPLATE["Globals"]["Function"]), **(res.get("Properties") or {})}
        for lid, res in SAM_TEMPLATE["Resources"].items()
        if res["Type"] == "AWS::Serverless::Function"
    }


def _events(kind: str) -> list[tuple[str, str, dict]]:
    return [
        (lid, name, event.get("Properties") or {})
        for lid, props in _sam_functions().items()
        for name, event in (props.get("Events") or {}).items()
        if event["Type"] == kind
    ]


def test_every_function_as_the_sam_template_declares_it(fresh: dict) -> None:
    specs = functions(fresh["cloudformation"])
    declared = _sam_functions()
    assert set(specs) == set(declared)
    for logical_id, props in declared.items():
        spec = specs[logical_id]
        assert spec.code_uri == props["CodeUri"]
        assert spec.handler == props["Handler"] and spec.runtime == props["Runtime"]
        assert spec.timeout == props.get("Timeout", 3) and spec.memory_size == props.get("MemorySize", 128)
        assert list(spec.architectures) == props["Architectures"]
        own = (SAM_TEMPLATE["Resources"][logical_id]["Properties"].get("Environment") or {}).get("Variables") or {}
        assert dict(spec.environment) == {**_globals("Environment")["Variables"], **own}  # type: ignore[index]


def test_every_http_api_event_is_a_route(fresh: dict) -> None:
    default_authorizer = SAM_TEMPLATE["Resources"]["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"]
    assert default_authorizer
    expected = {
        (props["Method"].upper(), props["Path"], lid, (props.get("Auth") or {}).get("Authorizer") == "NONE")
        for lid, _, props in _events("HttpApi")
    }
    routes = http_routes(fresh["cloudformation"])
    assert {tuple(r) for r in routes} == expected
    assert len(routes) == len(expected)


def test_every_sqs_event_is_an_event_source_mapping(fresh: dict) -> None:
    expected = {
        (lid, props["Queue"]["Fn::GetAtt"][0], props.get("BatchSize"), tuple(props.get("FunctionResponseTypes", ())))
        for lid, _, props in _events("SQS")
    }
    mappings = event_source_mappings(fresh["cloudformation"])
    assert {(m.function, m.source, m.batch_size, m.function_response_types) for m in mappings} == expected


def test_every_schedule_event_is_a_schedule_of_its_function(fresh: dict) -> None:
    resources = fresh["cloudformation"]["Resources"]
    schedules = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Scheduler::Schedule"]
    declared = _events("ScheduleV2")
    assert len(schedules) == len(declared)
    for logical_id, _, props in declared:  # template.yaml has none yet; SHAPES below has one
        assert any(
            s["ScheduleExpression"] == props["ScheduleExpression"]
            and s["Target"]["Arn"] == {"Fn::GetAtt": [logical_id, "Arn"]}
            for s in schedules
        ), logical_id


def test_the_websocket_routes_survive_the_transform(fresh: dict) -> None:
    declared = SAM_TEMPLATE["Resources"]
    keys = [r["Properties"]["RouteKey"] for r in declared.values() if r["Type"] == "AWS::ApiGatewayV2::Route"]
    assert "${WebSocketFunction.Arn}" in declared["WebSocketIntegration"]["Properties"]["IntegrationUri"]["Fn::Sub"]
    assert websocket_routes(fresh["cloudformation"]) == dict.fromkeys(keys, "WebSocketFunction")


def test_every_policy_becomes_a_policy_of_the_function_role(fresh: dict) -> None:
    resources = fresh["cloudformation"]["Resources"]
    for logical_id, props in _sam_functions().items():
        role = resources[f"{logical_id}Role"]["Properties"]
        documents = [p["PolicyDocument"] for p in role["Policies"]]
        if "DeadLetterQueue" in props:  # SAM adds the right to send to the function's own DLQ
            (dlq,) = [d for d in documents if d["Statement"][0]["Action"] == "sqs:SendMessage"]
            documents.remove(dlq)
        assert len(documents) == len(props["Policies"]), logical_id
        for declared, document in zip(props["Policies"], documents, strict=True):
            if "Statement" in declared:  # an inline document is kept as written
                assert document == declared
            else:  # a policy template is expanded with its parameters
                ((name, parameters),) = declared.items()
                text = json.dumps(document)
                assert all(json.dumps(value) in text for value in parameters.values()), (logical_id, name)
        assert resources[logical_id]["Properties"]["Role"] == {"Fn::GetAtt": [f"{logical_id}Role", "Arn"]}


# ------------------------------------------------------------------------------------------------------
# the SAM shapes the readers rely on, as samtranslator writes them
# ------------------------------------------------------------------------------------------------------

JWT = {
    "IdentitySource": "$request.header.Authorization",
    "JwtConfiguration": {"issuer": "https://issuer.example", "audience": ["aud"]},
}
SHAPES = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Resources": {
        "Secured": {
            "Type": "AWS::Serverless::HttpApi",
            "Properties": {"Auth": {"Authorizers": {"Jwt": JWT}, "DefaultAuthorizer": "Jwt"}},
        },
        "Open": {"Type": "AWS::Serverless::HttpApi", "Properties": {}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "F": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "functions/f/",
                "Handler": "app.handler",
                "Runtime": "python3.13",
                "Events": {
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
                    "Q": {
                        "Type": "SQS",
                        "Properties": {
                            "Queue": {"Fn::GetAtt": ["Queue", "Arn"]},
                            "BatchSize": 2,
                            "ScalingConfig": {"MaximumConcurrency": 4},
                        },
                    },
                    "Sweep": {
                        "Type": "ScheduleV2",
                        "Properties": {"ScheduleExpression": "rate(5 minutes)", "Input": '{"sweep": true}'},
                    },
                },
            },
        },
    },
}


@pytest.fixture
def machine_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(sam, "MACHINE_CACHE", tmp_path)
    return tmp_path


def test_the_shapes_samtranslator_writes(machine_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    routes = http_routes(SHAPES)  # translated by a subprocess, then cached on this machine
    assert list(machine_cache.glob("*.json"))
    assert {tuple(r) for r in routes} == {
        ("GET", "/a", "F", False),
        ("GET", "/b", "F", True),
        ("POST", "/c", "F", True),
        ("ANY", "$default", "F", True),
    }
    assert [r.path for r in http_routes(SHAPES, api="ServerlessHttpApi")] == ["$default"]
    (mapping,) = event_source_mappings(SHAPES)
    assert (mapping.function, mapping.source, mapping.batch_size, mapping.maximum_concurrency) == ("F", "Queue", 2, 4)
    assert functions(SHAPES)["F"].code_uri == "functions/f/"

    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    from moto import mock_aws

    with mock_aws():
        r = provision(SHAPES, stack_name="t")
        (schedule,) = [lid for lid, t in r.types.items() if t == "AWS::Scheduler::Schedule"]
        found = client("scheduler").get_schedule(Name=r.ref(schedule), GroupName="default")
        assert found["ScheduleExpression"] == "rate(5 minutes)"
        assert found["Target"]["Arn"] == r.get_att("F", "Arn")
        assert found["Target"]["Input"] == '{"sweep": true}'
    assert plan(SHAPES).ref("F") == "cofounder-F"
    assert cloudformation(SHAPES) is cloudformation(SHAPES)
