"""Every environment variable the runtime reads, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal

TABLE_NAME = "TABLE_NAME"
PAYLOAD_BUCKET = "PAYLOAD_BUCKET"
STEP_QUEUE_URL = "STEP_QUEUE_URL"
SCHEDULER_GROUP = "SCHEDULER_GROUP"
SCHEDULER_ROLE_ARN = "SCHEDULER_ROLE_ARN"
WAKE_FUNCTION_ARN = "WAKE_FUNCTION_ARN"
REDIS_URL = "REDIS_URL"
ANTHROPIC_SECRET_ARN = "ANTHROPIC_SECRET_ARN"
ANTHROPIC_API_KEY = "ANTHROPIC_API_KEY"
ANTHROPIC_BASE_URL = "ANTHROPIC_BASE_URL"
DEFAULT_DAILY_BUDGET_USD = "DEFAULT_DAILY_BUDGET_USD"
GRACEFUL_THRESHOLD = "GRACEFUL_THRESHOLD"
STEP_CAP = "STEP_CAP"
DEFAULT_MODEL = "DEFAULT_MODEL"
MAX_TOKENS = "MAX_TOKENS"
MAX_RECEIVE_COUNT = "MAX_RECEIVE_COUNT"
MODEL_MAX_RETRIES = "MODEL_MAX_RETRIES"
LARGE_RESULT_BYTES = "LARGE_RESULT_BYTES"
CONNECTIONS_TABLE = "CONNECTIONS_TABLE"
WS_ENDPOINT = "WS_ENDPOINT"
JWT_ISSUER = "JWT_ISSUER"
JWT_AUDIENCE = "JWT_AUDIENCE"
JWT_JWKS_URL = "JWT_JWKS_URL"
JWT_SECRET = "JWT_SECRET"
"""HS256 secret for the local cloud only. The WebSocket check uses it only when `Settings.hs256_allowed`: the
secret is set, no JWT_JWKS_URL is, and the code does not run on Lambda (AWS_LAMBDA_FUNCTION_NAME, which Lambda and
`sam local` set and the local cloud's in-process handlers do not). Everywhere else tokens are verified against
the issuer's JWKS (RS256/ES256), so a leaked or default secret can never mint tokens in AWS."""
AWS_LAMBDA_FUNCTION_NAME = "AWS_LAMBDA_FUNCTION_NAME"
MAX_DAILY_BUDGET_USD = "MAX_DAILY_BUDGET_USD"
"""The stack's cap on any job's daily_budget_usd (parameter MaxDailyBudgetUsd)."""
MAX_ACTIVE_JOBS = "MAX_ACTIVE_JOBS"
"""How many unfinished jobs one founder may have at once (parameter MaxActiveJobs)."""
WAKE_DLQ_ARN = "WAKE_DLQ_ARN"
"""Where a wake schedule's target invocation goes when the scheduler gave up on it."""
SWEEP_IDLE_S = "SWEEP_IDLE_S"
"""A working job unchanged this long has lost its step message: the sweeper sends it again."""
SWEEP_WAKE_GRACE_S = "SWEEP_WAKE_GRACE_S"
"""A sleeping job still asleep this long after its wake time missed its wake: the sweeper wakes it."""
RETENTION_DAYS = "RETENTION_DAYS"
"""A finished job's data (items and S3 objects) is deleted this many days after it finished."""


@dataclass(frozen=True, slots=True)
class Settings:
    table_name: str
    payload_bucket: str
    step_queue_url: str
    scheduler_group: str
    scheduler_role_arn: str
    wake_function_arn: str
    redis_url: str
    anthropic_secret_arn: str
    default_daily_budget_usd: Decimal
    graceful_threshold: Decimal
    step_cap: int
    default_model: str
    max_tokens: int
    max_receive_count: int
    model_max_retries: int
    large_result_bytes: int
    connections_table: str = ""
    ws_endpoint: str = ""
    jwt_issuer: str = ""
    jwt_audience: str = ""
    jwt_jwks_url: str = ""
    jwt_secret: str = ""
    on_lambda: bool = False
    max_daily_budget_usd: Decimal = Decimal(1000)
    max_active_jobs: int = 20
    wake_dlq_arn: str = ""
    sweep_idle_s: int = 600
    sweep_wake_grace_s: int = 900
    retention_days: int = 90

    @property
    def hs256_allowed(self) -> bool:
        """Tokens signed with JWT_SECRET are accepted: the local cloud only (see JWT_SECRET)."""
        return bool(self.jwt_secret) and not self.jwt_jwks_url and not self.on_lambda

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str, default: str = "") -> str:
            return env.get(name) or default

        return cls(
            table_name=get(TABLE_NAME, "cofounder-AgentTable"),
            payload_bucket=get(PAYLOAD_BUCKET, "cofounder-payloads"),
            step_queue_url=get(STEP_QUEUE_URL),
            scheduler_group=get(SCHEDULER_GROUP, "cofounder-wake"),
            scheduler_role_arn=get(SCHEDULER_ROLE_ARN),
            wake_function_arn=get(WAKE_FUNCTION_ARN),
            redis_url=get(REDIS_URL),
            anthropic_secret_arn=get(ANTHROPIC_SECRET_ARN),
            default_daily_budget_usd=Decimal(get(DEFAULT_DAILY_BUDGET_USD, "10")),
            graceful_threshold=Decimal(get(GRACEFUL_THRESHOLD, "0.90")),
            step_cap=int(get(STEP_CAP, "50")),
            default_model=get(DEFAULT_MODEL, "claude-sonnet-4-6"),
            max_tokens=int(get(MAX_TOKENS, "4096")),
            max_receive_count=int(get(MAX_RECEIVE_COUNT, "5")),
            model_max_retries=int(get(MODEL_MAX_RETRIES, "4")),
            large_result_bytes=int(get(LARGE_RESULT_BYTES, str(64 * 1024))),
            connections_table=get(CONNECTIONS_TABLE),
            ws_endpoint=get(WS_ENDPOINT),
            jwt_issuer=get(JWT_ISSUER),
            jwt_audience=get(JWT_AUDIENCE),
            jwt_jwks_url=get(JWT_JWKS_URL),
            jwt_secret=get(JWT_SECRET),
            on_lambda=bool(get(AWS_LAMBDA_FUNCTION_NAME)),
            max_daily_budget_usd=Decimal(get(MAX_DAILY_BUDGET_USD, "1000")),
            max_active_jobs=int(get(MAX_ACTIVE_JOBS, "20")),
            wake_dlq_arn=get(WAKE_DLQ_ARN),
            sweep_idle_s=int(get(SWEEP_IDLE_S, "600")),
            sweep_wake_grace_s=int(get(SWEEP_WAKE_GRACE_S, "900")),
            retention_days=int(get(RETENTION_DAYS, "90")),
        )
