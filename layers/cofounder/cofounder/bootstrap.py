"""Wiring: builds a Runtime from the environment, once per Lambda container."""

from __future__ import annotations

import os
from functools import cache

import boto3
import botocore.session

from cofounder import config
from cofounder.adapters.dynamo_connections import DynamoConnections
from cofounder.adapters.dynamo_journal import DynamoJournal
from cofounder.adapters.dynamo_store import DynamoStore
from cofounder.adapters.management_api import ManagementApi
from cofounder.adapters.memory_push import NullPusher
from cofounder.adapters.redis_mirror import NullMirror, RedisMirror, redis_client
from cofounder.adapters.s3_blobs import S3Blobs
from cofounder.adapters.scheduler import EventBridgeWakeScheduler
from cofounder.adapters.sqs_queue import SqsStepQueue
from cofounder.adapters.subscriber_index import CachedConnections
from cofounder.adapters.websocket_push import MAX_PARALLEL, WebSocketPusher
from cofounder.config import Settings
from cofounder.ports import Model, Pusher
from cofounder.services.runtime import Runtime


def build_runtime(settings: Settings, *, with_model: bool = False) -> Runtime:
    core = botocore.session.get_session()
    session = boto3.session.Session(botocore_session=core)
    dynamodb = session.client("dynamodb")
    blobs = S3Blobs(session.client("s3"), settings.payload_bucket)
    store = DynamoStore(dynamodb, settings.table_name, blobs, settings.large_result_bytes)
    cache = redis_client(settings.redis_url) if settings.redis_url else None
    connections = None
    if settings.connections_table:
        connections = CachedConnections(DynamoConnections(dynamodb, settings.connections_table), cache)
    pusher: Pusher = NullPusher()
    if connections and settings.ws_endpoint:
        # The management API lives on the WebSocket API (never AWS_ENDPOINT_URL), signed with the session's
        # credentials; one kept-alive connection per push thread.
        management = ManagementApi(
            settings.ws_endpoint,
            session.region_name or "us-east-1",
            session.get_credentials(),
            max_connections=MAX_PARALLEL,
            ca_bundle=core.get_config_variable("ca_bundle"),  # AWS_CA_BUNDLE / the profile's, as boto3
        )
        pusher = WebSocketPusher(management, connections)
    return Runtime(
        settings=settings,
        store=store,
        journal=DynamoJournal(dynamodb, settings.table_name, blobs, settings.large_result_bytes),
        mirror=RedisMirror(cache) if cache else NullMirror(),
        queue=SqsStepQueue(session.client("sqs"), settings.step_queue_url),
        scheduler=EventBridgeWakeScheduler(
            session.client("scheduler"),
            settings.scheduler_group,
            settings.wake_function_arn,
            settings.scheduler_role_arn,
            settings.wake_dlq_arn,
        ),
        pusher=pusher,
        model=build_model(settings, session) if with_model else None,
        connections=connections,
    )


def build_model(settings: Settings, session: boto3.session.Session) -> Model:
    from cofounder.adapters.anthropic_model import AnthropicModel  # only the agent step pays for `anthropic`

    api_key = os.environ.get(config.ANTHROPIC_API_KEY)
    if not api_key and settings.anthropic_secret_arn:
        secret = session.client("secretsmanager").get_secret_value(SecretId=settings.anthropic_secret_arn)
        api_key = secret["SecretString"]
    if not api_key:
        raise RuntimeError(f"set {config.ANTHROPIC_API_KEY} or {config.ANTHROPIC_SECRET_ARN}")
    return AnthropicModel(
        api_key, base_url=os.environ.get(config.ANTHROPIC_BASE_URL), max_retries=settings.model_max_retries
    )


@cache
def runtime(*, with_model: bool = False) -> Runtime:
    """The container's runtime (built on first use; `runtime.cache_clear()` rebuilds it)."""
    return build_runtime(Settings.from_env(), with_model=with_model)
