"""`python -m localcloud invoke LOGICAL_ID -e EVENT`: a function run in-process, like `sam local invoke`.

Against the running local cloud when there is one (its state file), else against an ephemeral one
(moto in-process, the template's resources, a Redis, the model emulator) that lives for this call.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from functools import cache
from pathlib import Path
from typing import Any

from localcloud.handlers import load_handler
from localcloud.lambda_context import LocalLambdaContext
from localcloud.settings import ROOT, auth_settings
from localcloud.stack import FunctionSpec, function_environment, functions, load_template, provision


def invoke(logical_id: str, event: Any) -> Any:
    """Invoke with the current process environment (warm path: what a benchmark times)."""
    template = ROOT / "template.yaml"
    spec = _functions(template, template.stat().st_mtime_ns)[logical_id]
    handler = load_handler(spec.code_uri, spec.handler)
    return handler(event, LocalLambdaContext(logical_id, timeout_s=spec.timeout))


@cache
def _functions(template: Path, mtime_ns: int) -> dict[str, FunctionSpec]:
    """The template's functions, parsed once per version of the file (an edit is picked up at the next call)."""
    return functions(load_template(template))


def _running_env(state_file: Path) -> dict[str, str] | None:
    if not state_file.exists():
        return None
    state = json.loads(state_file.read_text())
    try:
        os.kill(state["pid"], 0)
    except (OSError, KeyError):
        return None
    from localcloud.cloud import accepts

    return state["env"] if accepts(int(state["ports"]["aws"])) else None  # a stale file from a killed cloud


def invoke_file(logical_id: str, event_file: Path, state_file: Path) -> Any:
    template = load_template(ROOT / "template.yaml")
    if logical_id not in functions(template):
        raise SystemExit(f"no function {logical_id!r} in template.yaml: {', '.join(functions(template))}")
    event = json.loads(event_file.read_text())
    env = _running_env(state_file)
    if env is not None:
        os.environ.update(env)
        return invoke(logical_id, event)
    with ExitStack() as stack:
        _ephemeral_cloud(stack, template)
        return invoke(logical_id, event)


def _ephemeral_cloud(stack: ExitStack, template: dict) -> None:
    from moto import mock_aws

    from localcloud.emulators.model import ModelEmulator
    from localcloud.redis_choice import choose
    from localcloud.settings import DEFAULT_SCENARIO

    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local",
                        "AWS_SECRET_ACCESS_KEY": "local"}.items():
        os.environ.setdefault(name, value)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    stack.enter_context(mock_aws())
    resources = provision(template)
    env: dict[str, str] = {}
    for function in functions(template):
        env.update(function_environment(template, function, resources))
    chosen = choose(os.environ.get("REDIS_URL"))
    stack.callback(chosen.stop)
    auth = auth_settings()
    env.update(REDIS_URL=chosen.url, JWT_SECRET=auth.jwt_secret, JWT_ISSUER=auth.jwt_issuer,
               JWT_AUDIENCE=auth.jwt_audience)
    env["WS_ENDPOINT"] = ""  # no WebSocket API lives for one call, so no client can be connected: pushes go nowhere
    if not os.environ.get("ANTHROPIC_API_KEY"):
        emulator = stack.enter_context(ModelEmulator(json.loads(DEFAULT_SCENARIO.read_text())))
        env.update(ANTHROPIC_API_KEY="localcloud", ANTHROPIC_BASE_URL=emulator.url)
    os.environ.update(env)
    from cofounder.bootstrap import runtime

    runtime.cache_clear()
    stack.callback(runtime.cache_clear)
