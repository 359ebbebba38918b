"""Cold-start imports: fresh interpreters timing the import of each handler module (its module-level work
included) against the SDK baselines, with the layer on sys.path as Lambda puts it at /opt/python."""

from __future__ import annotations

import os
import subprocess
from typing import Any

from bench.common import PY, ROOT

HANDLERS = ("http_api", "websocket", "wake", "agent_step")
BASELINES = {
    "baseline_sdk": "boto3,redis,aws_lambda_powertools",
    "baseline_sdk_anthropic": "boto3,redis,aws_lambda_powertools,anthropic",
}
PROBE = r"""
import importlib, importlib.util, sys, time
layer, target = sys.argv[1], sys.argv[2]
sys.path.insert(0, layer)
if target.endswith(".py"):
    began = time.perf_counter_ns()
    spec = importlib.util.spec_from_file_location("app", target)
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    took = time.perf_counter_ns() - began
    assert callable(module.lambda_handler)
else:
    began = time.perf_counter_ns()
    for name in target.split(","):
        importlib.import_module(name)
    took = time.perf_counter_ns() - began
print(took)
"""


def lambda_env(function: str) -> dict[str, str]:
    """What the Lambda runtime and template.yaml give a function before its module is imported."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_LAMBDA_FUNCTION_NAME": f"cofounder-{function}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "POWERTOOLS_SERVICE_NAME": "cofounder",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "TABLE_NAME": "cofounder-AgentTable",
        "PAYLOAD_BUCKET": "cofounder-payloads",
        "STEP_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/cofounder-steps.fifo",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "CONNECTIONS_TABLE": "cofounder-ConnectionsTable",
        "WS_ENDPOINT": "https://example.execute-api.us-east-1.amazonaws.com/live",
        "DEFAULT_MODEL": "claude-sonnet-4-6",
        "ANTHROPIC_API_KEY": "local",
    }


def _once(target: str, function: str) -> float:
    out = subprocess.run(
        [PY, "-c", PROBE, str(ROOT / "layers" / "cofounder"), target],
        env=lambda_env(function), capture_output=True, text=True, check=True, cwd="/",
    )
    return int(out.stdout.strip().splitlines()[-1]) / 1e6


def run(repeats: int = 7) -> tuple[dict[str, float], dict[str, Any]]:
    targets = {f"import_ms_{h}": (str(ROOT / "functions" / h / "app.py"), h) for h in HANDLERS}
    targets |= {f"import_ms_{name}": (modules, "baseline") for name, modules in BASELINES.items()}
    if repeats > 1:
        for target, function in targets.values():
            _once(target, function)  # bytecode caches written, file system cache warm
    samples: dict[str, list[float]] = {key: [] for key in targets}
    for _ in range(repeats):  # round-robin: machine noise spreads over every figure alike
        for key, (target, function) in targets.items():
            samples[key].append(_once(target, function))
    import statistics

    figures = {key: statistics.median(values) for key, values in samples.items()}
    sdk, sdk_anthropic = figures["import_ms_baseline_sdk"], figures["import_ms_baseline_sdk_anthropic"]
    for h in ("http_api", "websocket", "wake"):
        figures[f"import_ratio_{h}"] = figures[f"import_ms_{h}"] / sdk
    figures["import_overhead_ms_agent_step"] = figures["import_ms_agent_step"] - sdk_anthropic
    detail = {key: [round(v, 1) for v in values] for key, values in samples.items()}
    return figures, detail
