"""template.yaml as written: the wiring that AWS and the local cloud both rely on (authorizer, CORS, the WebSocket
API, the functions' policies, log groups)."""

from __future__ import annotations

import pytest

from tests.localcloud.stack.support import FUNCTIONS


def test_http_api_jwt_authorizer_and_cors(sam_template: dict) -> None:
    api = sam_template["Resources"]["HttpApi"]
    assert api["Type"] == "AWS::Serverless::HttpApi"
    auth = api["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "CofounderJwt"
    jwt = auth["Authorizers"]["CofounderJwt"]
    assert jwt["IdentitySource"] == "$request.header.Authorization"
    assert jwt["JwtConfiguration"] == {"issuer": {"Ref": "JwtIssuer"}, "audience": [{"Ref": "JwtAudience"}]}
    cors = api["Properties"]["CorsConfiguration"]
    assert cors["AllowOrigins"] == [{"Ref": "CorsOrigin"}]
    assert {h.lower() for h in cors["AllowHeaders"]} == {"authorization", "content-type"}
    assert set(cors["AllowMethods"]) == {"GET", "POST", "OPTIONS"}
    assert cors["MaxAge"] == 600


def test_websocket_api_wiring(sam_template: dict) -> None:
    res = sam_template["Resources"]
    api = res["WebSocketApi"]["Properties"]
    assert (api["ProtocolType"], api["RouteSelectionExpression"]) == ("WEBSOCKET", "$request.body.action")
    routes = {res[lid]["Properties"]["RouteKey"]: lid for lid in res if res[lid]["Type"] == "AWS::ApiGatewayV2::Route"}
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    # $connect is open at the gateway: the function checks ?token= itself
    assert res[routes["$connect"]]["Properties"]["AuthorizationType"] == "NONE"
    assert sorted(res["WebSocketDeployment"]["DependsOn"]) == sorted(routes.values())
    stage = res["WebSocketStage"]["Properties"]
    assert stage["StageName"] == {"Ref": "WebSocketStageName"}
    assert stage["DeploymentId"] == {"Ref": "WebSocketDeployment"}
    assert res["WebSocketIntegration"]["Properties"]["IntegrationType"] == "AWS_PROXY"
    permission = res["WebSocketPermission"]["Properties"]
    assert permission["FunctionName"] == {"Ref": "WebSocketFunction"}
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert "${WebSocketApi}/" in permission["SourceArn"]["Fn::Sub"]
    # WS_ENDPOINT names the stage through the parameter: a Ref to the stage would be circular
    ws_endpoint = sam_template["Globals"]["Function"]["Environment"]["Variables"]["WS_ENDPOINT"]
    assert "${WebSocketStageName}" in ws_endpoint["Fn::Sub"] and "WebSocketStage}" not in ws_endpoint["Fn::Sub"]


def _statements(policies: list) -> list[dict]:
    return [s for p in policies if isinstance(p, dict) and "Statement" in p for s in p["Statement"]]


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_function_may_push_to_websocket_connections(sam_template: dict, logical_id: str) -> None:
    policies = sam_template["Resources"][logical_id]["Properties"]["Policies"]
    tables = [p["DynamoDBCrudPolicy"]["TableName"] for p in policies if "DynamoDBCrudPolicy" in p]
    assert {"Ref": "ConnectionsTable"} in tables and {"Ref": "AgentTable"} in tables
    (manage,) = [s for s in _statements(policies) if s["Action"] == "execute-api:ManageConnections"]
    assert manage["Effect"] == "Allow"
    assert manage["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebSocketApi}/*"
    }


def test_http_api_function_policies(sam_template: dict) -> None:
    policies = sam_template["Resources"]["HttpApiFunction"]["Properties"]["Policies"]
    assert {"S3ReadPolicy": {"BucketName": {"Ref": "PayloadBucket"}}} in policies
    assert {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["StepQueue", "QueueName"]}}} in policies


@pytest.mark.parametrize("logical_id", ["HttpApiFunction", "WebSocketFunction"])
def test_api_functions_have_log_groups(sam_template: dict, logical_id: str) -> None:
    group = sam_template["Resources"][f"{logical_id}LogGroup"]["Properties"]
    assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}
    assert group["RetentionInDays"] == 30
