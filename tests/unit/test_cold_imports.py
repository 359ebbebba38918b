"""Only the agent step may pay for `import anthropic` (~1.2 s of cold start)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert callable(module.lambda_handler)
print("anthropic" in sys.modules)
"""


def imports_anthropic(function: str) -> bool:
    env = {"PYTHONPATH": str(ROOT / "layers" / "cofounder"), "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "functions" / function / "app.py")],
        env=env, capture_output=True, text=True, check=True,
    )
    return out.stdout.strip() == "True"


@pytest.mark.parametrize("function", ["http_api", "websocket", "wake"])
def test_handler_modules_import_without_anthropic(function):
    assert imports_anthropic(function) is False


def test_the_agent_step_loads_it_during_init():
    assert imports_anthropic("agent_step") is True
