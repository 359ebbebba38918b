"""The whole stack on one machine: moto (AWS), Redis, the model emulator, the HTTP and WebSocket APIs,
the SQS event source mapping and the scheduler clock, all wired from template.yaml."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from localcloud.clock import LocalClock
from localcloud.emulators import moto_patches
from localcloud.emulators.faults import FaultRegistry
from localcloud.emulators.faults import http_routes as fault_routes
from localcloud.event_sources import SqsMapping, SqsPoller
from localcloud.handlers import LazyHandler
from localcloud.redis_choice import ChosenRedis, choose
from localcloud.scheduler_clock import SchedulerClock
from localcloud.settings import DEFAULT_SCENARIO, ROOT, auth_settings, local_token
from localcloud.stack import (
    Resources,
    event_source_mappings,
    function_environment,
    functions,
    load_template,
    logical_ids,
    provision,
    websocket_routes,
)

log = logging.getLogger("localcloud")
REGION = "us-east-1"
STACK = "cofounder"


@dataclass
class Ports:
    http: int = 3000
    ws: int = 3001
    aws: int = 4566
    model: int = 4010


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class LocalCloud:
    ports: Ports = field(default_factory=Ports)
    scenario: Path | dict | None = None
    redis_url: str | None = None
    anthropic_api_key: str | None = None
    concurrency: int = 32

    def __post_init__(self) -> None:
        self.clock = LocalClock()
        self.template = load_template(ROOT / "template.yaml")
        self._stack: list[Any] = []
        self.redis: ChosenRedis | None = None
        self.resources: Resources | None = None
        self.emulator: Any = None
        self.env: dict[str, str] = {}
        self._warming: threading.Thread | None = None
        self.faults = FaultRegistry()  # POST/GET/DELETE /_local/faults, on the AWS and HTTP ports

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> LocalCloud:
        busy = [f"{name} {port}" for name, port in vars(self.ports).items() if not port_free(port)]
        if busy:
            raise RuntimeError(f"ports already in use: {', '.join(busy)} (pass --*-port to choose others)")
        from cofounder import clock as runtime_clock

        runtime_clock.set_source(self.clock.now)
        self._start_aws()
        self.redis = choose(self.redis_url)
        self._stack.append(self.redis)
        self._start_model()
        self._configure_functions()
        self._start_gateways()
        self._start_event_sources()
        for port in vars(self.ports).values():
            deadline = time.monotonic() + 10
            while not accepts(port):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"port {port} did not come up")
                time.sleep(0.02)
        self._warming = threading.Thread(target=self._warm_handlers, name="warm-handlers", daemon=True)
        self._warming.start()
        return self

    def wait_warm(self, timeout: float = 60) -> None:
        """Until every handler is imported (a benchmark must not time requests against the warm-up's CPU)."""
        if self._warming is not None:
            self._warming.join(timeout)

    def stop(self) -> None:
        while self._stack:
            part = self._stack.pop()
            began = time.monotonic()
            try:
                part.stop()
            except Exception:
                log.exception("stopping %s failed", type(part).__name__)
            if (took := time.monotonic() - began) > 0.5:
                log.info("stopping %s took %.1fs", type(part).__name__, took)
        from cofounder import clock as runtime_clock
        from cofounder.bootstrap import runtime

        runtime_clock.set_source(None)
        runtime.cache_clear()

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- parts -------------------------------------------------------------------------------------

    def _start_aws(self) -> None:
        from localcloud.emulators.faults_wsgi import AwsServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per AWS call
        moto_patches.apply_all()  # moto atomic per item like DynamoDB and SQS, numbers as DynamoDB writes them
        server = AwsServer(port=self.ports.aws, faults=self.faults).start()  # moto, with /_local/faults
        self._stack.append(server)
        endpoint = f"http://127.0.0.1:{self.ports.aws}"
        self.env.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_DEFAULT_REGION=REGION,
            AWS_ACCESS_KEY_ID=os.environ.get("AWS_ACCESS_KEY_ID") or "local",
            AWS_SECRET_ACCESS_KEY=os.environ.get("AWS_SECRET_ACCESS_KEY") or "local",
        )
        os.environ.update(self.env)
        self.resources = provision(self.template, endpoint_url=endpoint, stack_name=STACK, region=REGION)

    def _start_model(self) -> None:
        key = self.anthropic_api_key if self.anthropic_api_key is not None else os.environ.get("ANTHROPIC_API_KEY")
        if key:
            self.env["ANTHROPIC_API_KEY"] = key
            return
        from localcloud.emulators.model import ModelEmulator, load_scenario

        scenario = self.scenario if self.scenario is not None else DEFAULT_SCENARIO
        data = scenario if isinstance(scenario, dict) else load_scenario(scenario)
        self.emulator = ModelEmulator(data, port=self.ports.model, clock=self.clock.timestamp).start()
        self._stack.append(self.emulator)
        self.env["ANTHROPIC_API_KEY"] = "localcloud"
        self.env["ANTHROPIC_BASE_URL"] = self.emulator.url

    def _configure_functions(self) -> None:
        assert self.resources is not None and self.redis is not None
        for logical_id in functions(self.template):
            self.env.update(function_environment(self.template, logical_id, self.resources))
        auth = auth_settings()
        self.env.update(
            REDIS_URL=self.redis.url,
            WS_ENDPOINT=f"http://127.0.0.1:{self.ports.ws}",
            JWT_SECRET=auth.jwt_secret,
            JWT_ISSUER=auth.jwt_issuer,
            JWT_AUDIENCE=auth.jwt_audience,
            POWERTOOLS_LOG_LEVEL=os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        )
        os.environ.update(self.env)
        from cofounder.bootstrap import runtime

        runtime.cache_clear()

    def handler(self, logical_id: str) -> LazyHandler:
        """Imported on its first invocation, like a Lambda cold start; `start()` warms them all in the background."""
        spec = functions(self.template)[logical_id]
        return LazyHandler(spec.code_uri, spec.handler)

    def _warm_handlers(self) -> None:
        for logical_id in functions(self.template):
            try:
                self.handler(logical_id).warm()
            except Exception:  # the first invocation will raise it again, where it can be seen
                log.exception("warming %s failed", logical_id)

    def _start_gateways(self) -> None:
        from localcloud.gateways.cors import cors_from_template
        from localcloud.gateways.http_api import HttpGateway
        from localcloud.gateways.http_routes import routes_from_template
        from localcloud.gateways.websocket_api import WebSocketGateway

        http = HttpGateway(
            routes_from_template(self.template, ROOT),
            settings_factory=auth_settings,
            port=self.ports.http,
            cors=cors_from_template(self.template),
            extra_routes={
                ("POST", "/_local/clock/advance"): self._advance_clock,
                ("GET", "/_local/clock"): self._now,
                ("POST", "/_local/token"): self._dev_token,
                **fault_routes(self.faults),
            },
            static_dir=ROOT / "console" if (ROOT / "console").is_dir() else None,
        )
        http.start()
        self._stack.append(http)
        ws_routes = websocket_routes(self.template)
        ws = WebSocketGateway(self.handler(ws_routes["$default"]), port=self.ports.ws, routes=set(ws_routes))
        ws.start()
        self._stack.append(ws)
        self.http, self.ws = http, ws

    def _start_event_sources(self) -> None:
        assert self.resources is not None
        endpoint = f"http://127.0.0.1:{self.ports.aws}"
        sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
        self.pollers: list[SqsPoller] = []
        specs = functions(self.template)
        for source in event_source_mappings(self.template):
            if not source.enabled or self.resources.types.get(source.source) != "AWS::SQS::Queue":
                continue
            mapping = SqsMapping(
                function_name=source.function,
                handler=self.handler(source.function),
                queue_url=self.resources.ref(source.source),
                queue_arn=self.resources.get_att(source.source, "Arn"),
                batch_size=source.batch_size or 10,
                report_batch_item_failures=source.report_batch_item_failures,
                timeout_s=specs[source.function].timeout,
            )
            poller = SqsPoller(sqs, mapping, REGION, self.concurrency)
            poller.start()
            self._stack.append(poller)
            self.pollers.append(poller)
        targets = {
            self.resources.get_att(logical_id, "Arn"): (logical_id, self.handler(logical_id))
            for logical_id in functions(self.template)
        }
        groups = [self.resources.ref(g) for g in logical_ids(self.template, "AWS::Scheduler::ScheduleGroup")]
        scheduler = boto3.client("scheduler", endpoint_url=endpoint, region_name=REGION)
        self.scheduler = SchedulerClock(scheduler, groups, targets, self.clock)
        self.scheduler.start()
        self._stack.append(self.scheduler)

    # -- /_local routes ----------------------------------------------------------------------------

    def _now(self, _: Any) -> tuple[int, dict[str, str], bytes]:
        return 200, {"content-type": "application/json"}, json.dumps({"now": self.clock.now().isoformat()}).encode()

    def _dev_token(self, request: Any) -> tuple[int, dict[str, str], bytes]:
        """The console's "dev sign-in": a token for any founder id (local cloud only, never deployed)."""
        headers = {"content-type": "application/json", "cache-control": "no-store"}
        try:
            sub = json.loads(request.body or b"{}").get("sub")
        except (ValueError, AttributeError):
            return 400, headers, b'{"message": "The body must be JSON: {\"sub\": \"founder-id\"}."}'
        if not isinstance(sub, str) or not 1 <= len(sub.strip()) <= 128:
            return 422, headers, b'{"message": "sub must be a founder id of 1..128 characters.", "fields": ["sub"]}'
        return 200, headers, json.dumps({"token": local_token(sub.strip()), "sub": sub.strip()}).encode()

    def _advance_clock(self, request: Any) -> tuple[int, dict[str, str], bytes]:
        headers = {"content-type": "application/json"}
        try:
            seconds = json.loads(request.body or b"{}").get("seconds")
        except (ValueError, AttributeError):
            return 400, headers, b'{"message": "The body must be JSON: {\\"seconds\\": N}."}'
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            return 422, headers, b'{"message": "seconds must be a number >= 0.", "fields": ["seconds"]}'
        now = self.clock.advance(seconds)
        return 200, headers, json.dumps({"now": now.isoformat()}).encode()
