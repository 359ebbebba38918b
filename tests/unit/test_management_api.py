"""The management API adapter against the local cloud's management API on a real port: bodies arrive byte for byte,
every request carries a SigV4 signature that botocore's own signer computes too, and answers become domain errors at
the edge."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import boto3
import pytest
from botocore.credentials import Credentials, ReadOnlyCredentials

from cofounder.adapters.management_api import ManagementApi
from cofounder.errors import ConnectionGone, PushFailed
from localcloud.gateways.sigv4_check import AUTHORIZATION, verify_sigv4
from tests.support.management import ServedManagementApi
from tests.support.tls import self_signed_server_context

REGION = "eu-west-1"
KEYS = {"AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "AKIDROTATED": "another-secret"}


@pytest.fixture(scope="module")
def server() -> Iterator[ServedManagementApi]:
    with ServedManagementApi(KEYS, region=REGION) as running:
        yield running


@pytest.fixture
def api(server) -> Iterator[ManagementApi]:
    server.reset()
    client = ManagementApi(
        f"{server.url}/live", REGION, Credentials("AKIDEXAMPLE", KEYS["AKIDEXAMPLE"], "tok/en="), max_connections=4
    )
    yield client
    client.close()


@pytest.mark.parametrize(
    "body",
    [
        b'{"type": "agent.state_changed", "state": "working"}',
        '{"problem": "Zoë café — 日本語 🚀 \\u00e9"}'.encode(),
        bytes(range(256)),
        b"",
        b"x" * 100_000,
    ],
)
def test_the_body_arrives_byte_exact_and_the_request_is_signed(server, api, body):
    api.post("conn-1", body)
    assert server.bodies("conn-1") == [body]
    (request,) = server.requests
    assert request.path == "/live/@connections/conn-1"
    assert request.signature_error is None
    match = AUTHORIZATION.match(request.headers["authorization"])
    assert match and match["key"] == "AKIDEXAMPLE" and match["region"] == REGION and match["service"] == "execute-api"
    assert match["signed"] == "host;x-amz-date;x-amz-security-token"
    assert request.headers["x-amz-security-token"] == "tok/en="
    assert request.headers["host"] == server.url.removeprefix("http://")


@pytest.mark.parametrize("connection_id", ["L0SM9cOFvHcCIhw=", "a/b c+d?e#f%g", "ünï", "a.b~c", "@connections"])
def test_connection_ids_are_url_quoted_and_the_signature_covers_the_encoded_path(server, api, connection_id):
    api.post(connection_id, b"{}")
    (request,) = server.requests
    assert request.connection_id == connection_id
    assert "/" not in request.path.removeprefix("/live/@connections/")
    assert request.signature_error is None


def test_the_verifier_accepts_what_boto3_itself_sends_and_refuses_a_wrong_secret(server):
    """The check is independent of the adapter: boto3's own client passes it, a forged signature does not."""
    server.reset()
    client = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key=KEYS["AKIDEXAMPLE"],
        aws_session_token="t",
        region_name=REGION,
    ).client("apigatewaymanagementapi", endpoint_url=f"{server.url}/live")
    client.post_to_connection(ConnectionId="c=1", Data=b'{"a": 1}')
    assert [r.signature_error for r in server.requests] == [None]
    request = server.requests[0]
    url = f"http://{request.headers['host']}{request.path}"
    assert verify_sigv4("POST", url, request.headers, request.body, KEYS, REGION) is None
    assert verify_sigv4("POST", url, request.headers, request.body + b" ", KEYS, REGION) == "signature mismatch"
    wrong = {"AKIDEXAMPLE": "not-the-secret"}
    assert verify_sigv4("POST", url, request.headers, request.body, wrong, REGION) == "signature mismatch"


def test_without_a_session_token_only_host_and_date_are_signed(server):
    server.reset()
    api = ManagementApi(
        f"{server.url}/live", REGION, Credentials("AKIDEXAMPLE", KEYS["AKIDEXAMPLE"]), max_connections=1
    )
    api.post("c", b"{}")
    (request,) = server.requests
    assert "x-amz-security-token" not in request.headers
    assert "SignedHeaders=host;x-amz-date," in request.headers["authorization"]
    assert request.signature_error is None


class RotatingCredentials:
    """What botocore's RefreshableCredentials does: each request asks for the current frozen credentials."""

    def __init__(self) -> None:
        self.current = ReadOnlyCredentials("AKIDEXAMPLE", KEYS["AKIDEXAMPLE"], "t1")

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        return self.current


def test_refreshed_credentials_are_used_from_the_next_request_on(server):
    server.reset()
    credentials = RotatingCredentials()
    api = ManagementApi(f"{server.url}/live", REGION, credentials, max_connections=1)
    api.post("c", b"1")
    credentials.current = ReadOnlyCredentials("AKIDROTATED", KEYS["AKIDROTATED"], "t2")
    api.post("c", b"2")
    keys = [AUTHORIZATION.match(r.headers["authorization"])["key"] for r in server.requests]
    assert keys == ["AKIDEXAMPLE", "AKIDROTATED"]
    assert [r.headers["x-amz-security-token"] for r in server.requests] == ["t1", "t2"]
    assert server.signature_errors() == []


def test_410_is_connection_gone(server, api):
    server.gone.add("gone")
    with pytest.raises(ConnectionGone):
        api.post("gone", b"{}")
    api.post("alive", b"{}")  # the connection that answered 410 is still good for the next request
    assert server.bodies("alive") == [b"{}"]


@pytest.mark.parametrize("status", [400, 403, 429, 500, 503])
def test_other_error_answers_are_push_failed_not_gone(server, api, status):
    server.failing["bad"] = status
    with pytest.raises(PushFailed) as raised:
        api.post("bad", b"{}")
    assert not isinstance(raised.value, ConnectionGone)
    assert raised.value.status == status and raised.value.connection_id == "bad"
    assert "InternalServerErrorException" in raised.value.reason


def test_a_bad_signature_is_push_failed(server):
    server.reset()
    api = ManagementApi(f"{server.url}/live", REGION, Credentials("AKIDEXAMPLE", "wrong"), max_connections=1)
    with pytest.raises(PushFailed) as raised:
        api.post("c", b"{}")
    assert raised.value.status == 403


def test_no_server_is_push_failed():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    api = ManagementApi(f"http://127.0.0.1:{port}/live", REGION, Credentials("a", "b"), max_connections=1)
    with pytest.raises(PushFailed) as raised:
        api.post("c", b"{}")
    assert raised.value.status is None and "connect" in raised.value.reason


def test_no_credentials_is_push_failed(server):
    api = ManagementApi(f"{server.url}/live", REGION, None, max_connections=1)
    with pytest.raises(PushFailed):
        api.post("c", b"{}")


def test_requests_share_one_kept_alive_connection(server, api):
    for i in range(20):
        api.post(f"c{i}", b"{}")
    assert len({r.peer for r in server.requests}) == 1


def test_https_with_the_configured_ca_bundle_and_signed_for_the_host_without_a_default_port(tmp_path):
    cert_file, context = self_signed_server_context(tmp_path)
    server = ServedManagementApi(KEYS, region=REGION, tls=context).start()
    try:
        assert server.url.startswith("https://127.0.0.1:")
        trusting = ManagementApi(
            f"{server.url}/live",
            REGION,
            Credentials("AKIDEXAMPLE", KEYS["AKIDEXAMPLE"], "t"),
            max_connections=1,
            ca_bundle=str(cert_file),
        )
        trusting.post("over-tls", b'{"secret": true}')
        assert server.bodies("over-tls") == [b'{"secret": true}']
        assert server.signature_errors() == []
        distrusting = ManagementApi(  # botocore's default bundle does not know this certificate
            f"{server.url}/live", REGION, Credentials("AKIDEXAMPLE", KEYS["AKIDEXAMPLE"], "t"), max_connections=1
        )
        with pytest.raises(PushFailed, match="TLS"):
            distrusting.post("over-tls", b"{}")
        assert len(server.requests) == 1
    finally:
        server.stop()
