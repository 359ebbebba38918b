"""Constants and helpers shared by the localcloud.stack tests."""

from __future__ import annotations

from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"
ACCOUNT = "123456789012"
FUNCTIONS = (
    "AgentStepFunction",
    "WakeFunction",
    "SweeperFunction",
    "DeadLetterFunction",
    "HttpApiFunction",
    "WebSocketFunction",
)


def client(service: str, endpoint_url: str | None = None):
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint_url)
