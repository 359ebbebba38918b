"""The API Gateway management API's `POST @connections/{id}`, SigV4-signed, over kept-alive connections.

A boto3 `apigatewaymanagementapi` client spends ~1 ms of CPU (held under the GIL; bench/RESULTS.md) on each
`post_to_connection`: a fan-out to a thousand connections would take a second of CPU on signing, serializing
and parsing alone. This adapter does only what the one call needs: sign (`sigv4`), POST the bytes on a
kept-alive connection (`http_keepalive`), and translate the answer into domain errors here, at the edge:
410 is `ConnectionGone` (checked first: it is an error answer too), any other non-2xx answer and any
transport error is `PushFailed`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from botocore.httpsession import get_cert_path

from cofounder.adapters.http_keepalive import KeepAliveClient, TransportError
from cofounder.adapters.sigv4 import SigV4Signer
from cofounder.errors import ConnectionGone, PushFailed

SERVICE = "execute-api"
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 10.0


class ManagementApi:
    def __init__(
        self, endpoint: str, region: str, credentials: Any, *, max_connections: int, ca_bundle: str | None = None
    ) -> None:
        """`endpoint`: the WebSocket API's https (locally http) URL with its stage. `credentials`: botocore's
        (refreshable) `Credentials`, as `boto3.Session().get_credentials()` resolves them (None: none found).
        `ca_bundle`: the CA certificates to verify TLS with (botocore's `ca_bundle` setting); else botocore's."""
        self._http = KeepAliveClient(
            endpoint,
            max_idle=max_connections,
            connect_timeout=CONNECT_TIMEOUT_S,
            read_timeout=READ_TIMEOUT_S,
            ca_file=ca_bundle or get_cert_path(True),  # as botocore's own clients verify TLS
        )
        self._prefix = f"{urlsplit(endpoint).path.rstrip('/')}/@connections/"
        self._signer = SigV4Signer(credentials, SERVICE, region) if credentials is not None else None

    def post(self, connection_id: str, data: bytes) -> None:
        """Send `data` to the connection as one message. Raises ConnectionGone or PushFailed."""
        if self._signer is None:
            raise PushFailed(connection_id, "no AWS credentials to sign the request with")
        path = self._prefix + quote(connection_id, safe="")
        signed = self._signer.sign("POST", self._http.host, path, data)
        headers = {"X-Amz-Date": signed.amz_date, "Authorization": signed.authorization}
        if signed.security_token:
            headers["X-Amz-Security-Token"] = signed.security_token
        try:
            response = self._http.request("POST", path, headers, data)
        except TransportError as exc:
            raise PushFailed(connection_id, str(exc)) from exc
        if response.status == 410:
            raise ConnectionGone(connection_id)
        if not 200 <= response.status < 300:
            error = response.headers.get("x-amzn-errortype", "").split(":")[0] or response.reason
            raise PushFailed(connection_id, f"HTTP {response.status} {error}".rstrip(), status=response.status)

    def close(self) -> None:
        self._http.close()
