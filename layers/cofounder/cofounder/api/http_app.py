"""The HTTP API: routes, tenancy (JWT `sub`) and one place that maps errors to statuses."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from http import HTTPStatus
from typing import Any

import msgspec
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from cofounder.api import openapi
from cofounder.api.bounds import EscalationsLimit, EventId, EventsLimit, IdCursor, JobsCursor, JobsLimit, id_shaped
from cofounder.api.models import (
    CreateJob,
    EscalationList,
    EscalationOut,
    EventList,
    JobCreated,
    JobList,
    JobStatus,
    ResolveEscalation,
)
from cofounder.api.requests import MalformedBody, QueryParam, TooDeep, UnsupportedMediaType, json_body
from cofounder.bootstrap import runtime
from cofounder.config import Settings
from cofounder.errors import AlreadyResolved, InvalidInput, LimitExceeded, NotFound
from cofounder.services import escalations, queries
from cofounder.services.jobs import create_job
from cofounder.services.queries import ESCALATIONS_PAGE, EVENTS_PAGE, JOBS_PAGE

IDEMPOTENCY_HEADER = "idempotency-key"  # API Gateway (payload v2) lower-cases header names
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")

app = APIGatewayHttpResolver()
OPERATIONS: list[openapi.Operation] = []
INFO = {
    "title": "Cofounder API",
    "version": "1.0.0",
    "description": "Start jobs, follow the agent live, answer its escalations. Auth: a JWT bearer token.",
}


class Unauthorized(Exception):
    """401: no verified `sub` claim reached the function."""


def owner_id() -> str:
    """The founder: the `sub` claim the JWT authorizer verified (API Gateway, or the local cloud)."""
    authorizer = app.current_event.request_context.authorizer
    sub = authorizer.jwt_claim.get("sub") if authorizer and authorizer.jwt_claim else None
    if not sub:
        raise Unauthorized()
    return str(sub)


def operation(method: str, rule: str, summary: str, response: type, **spec: Any) -> Callable:
    """Declare an operation: the handler gets the founder, its path parameters, the validated `body` and query
    parameters as keyword arguments, and returns the response struct."""

    def register(handler: Callable[..., Any]) -> Callable[..., Response]:
        op = openapi.Operation(method, rule, handler.__name__, summary, response, **spec)
        OPERATIONS.append(op)

        def endpoint(**path: str) -> Response:
            owner = owner_id()
            for name, value in path.items():
                if not id_shaped(value):  # answered like any unknown id, before any read
                    raise NotFound(f"{name.removesuffix('_id')} {value} not found")
            event = app.current_event.raw_event
            inputs = {param.name: param.read(event) for param in op.query}
            if op.body is not None:
                inputs["body"] = json_body(event, op.body)
            result = handler(owner, **path, **inputs)
            return Response(op.status, "application/json", msgspec.json.encode(result).decode())

        app.route(rule, method.upper())(endpoint)
        return handler

    return register


def _error(status: HTTPStatus, message: str, **extra: Any) -> Response:
    return Response(status.value, "application/json", json.dumps({"message": message, **extra}))


@app.exception_handler(Unauthorized)
def _unauthorized(_: Unauthorized) -> Response:
    return _error(HTTPStatus.UNAUTHORIZED, "Missing or invalid bearer token.")


def _sentence(exc: Exception) -> str:
    """The error's text as a sentence; ids and timestamps keep their case (str.capitalize() would lower them)."""
    text = str(exc)
    return f"{text[:1].upper()}{text[1:]}."


@app.exception_handler(NotFound)
def _not_found(exc: NotFound) -> Response:
    return _error(HTTPStatus.NOT_FOUND, _sentence(exc))


@app.exception_handler(AlreadyResolved)
def _conflict(exc: AlreadyResolved) -> Response:
    return _error(HTTPStatus.CONFLICT, _sentence(exc))


@app.exception_handler(InvalidInput)
def _invalid(exc: InvalidInput) -> Response:
    return _error(HTTPStatus.UNPROCESSABLE_ENTITY, f"Invalid request: {exc}", fields=[exc.field])


@app.exception_handler(MalformedBody)
def _malformed(_: MalformedBody) -> Response:
    return _error(HTTPStatus.BAD_REQUEST, "The request body is not valid JSON (UTF-8).")


@app.exception_handler(TooDeep)
def _too_deep(_: TooDeep) -> Response:
    return _error(HTTPStatus.BAD_REQUEST, "The request body is nested too deeply.")


@app.exception_handler(LimitExceeded)
def _limited(exc: LimitExceeded) -> Response:
    return _error(HTTPStatus.TOO_MANY_REQUESTS, str(exc))


@app.exception_handler(UnsupportedMediaType)
def _unsupported(_: UnsupportedMediaType) -> Response:
    return _error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Send the body as JSON (content-type: application/json).")


@operation(
    "post",
    "/api/jobs",
    "Start a job for a goal (an Idempotency-Key header makes a retry return the first answer for 24 h)",
    JobCreated,
    status=201,
    errors=(400, 401, 415, 422, 429),
    body=CreateJob,
    headers=(("Idempotency-Key", {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"}),),
)
def post_job(owner: str, body: CreateJob) -> JobCreated:
    budget = None if body.daily_budget_usd is None else Decimal(str(body.daily_budget_usd))
    key = (app.current_event.headers or {}).get(IDEMPOTENCY_HEADER)
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInput("Idempotency-Key", "Idempotency-Key must be 1..255 visible ASCII characters")
    job = create_job(runtime(), owner, body.goal, budget, body.model, idempotency_key=key)
    return JobCreated(job_id=job.job_id, session_id=job.session_id, state=job.state.value)


@operation(
    "get",
    "/api/jobs",
    "The founder's jobs, newest first",
    JobList,
    errors=(401, 422),
    query=(
        QueryParam("limit", JobsLimit, JOBS_PAGE, "How many jobs (newest first)."),
        QueryParam("after", JobsCursor, None, "The page after the previous one (its next_after)."),
    ),
)
def get_jobs(owner: str, limit: int, after: str | None) -> JobList:
    return msgspec.convert(queries.list_jobs(runtime(), owner, limit, after), JobList)


@operation("get", "/api/jobs/<job_id>/status", "The live status bootstrap", JobStatus, errors=(401, 404))
def get_status(owner: str, job_id: str) -> JobStatus:
    return msgspec.convert(queries.job_status(runtime(), job_id, owner), JobStatus)


@operation(
    "get",
    "/api/jobs/<job_id>/escalations",
    "A job's escalations",
    EscalationList,
    errors=(401, 404, 422),
    query=(
        QueryParam("limit", EscalationsLimit, ESCALATIONS_PAGE, "How many escalations."),
        QueryParam("after", IdCursor, None, "Only escalations with a greater escalation_id."),
    ),
)
def get_escalations(owner: str, job_id: str, limit: int, after: str | None) -> EscalationList:
    return msgspec.convert(queries.job_escalations(runtime(), job_id, owner, after, limit), EscalationList)


@operation(
    "post",
    "/api/escalations/<escalation_id>/resolve",
    "Answer an escalation",
    EscalationOut,
    errors=(400, 401, 404, 409, 415, 422),
    body=ResolveEscalation,
)
def post_resolve(owner: str, escalation_id: str, body: ResolveEscalation) -> EscalationOut:
    resolved = escalations.resolve(runtime(), escalation_id, owner, body.decision, body.guidance)
    return msgspec.convert(resolved.public(), EscalationOut)


@operation(
    "get",
    "/api/jobs/<job_id>/events",
    "Replay a job's events",
    EventList,
    errors=(401, 404, 422),
    query=(
        QueryParam("after", EventId, 0, "Only events with a greater event_id."),
        QueryParam("limit", EventsLimit, EVENTS_PAGE, "How many events."),
    ),
)
def get_events(owner: str, job_id: str, after: int, limit: int) -> EventList:
    return msgspec.convert(queries.job_events(runtime(), job_id, owner, after, limit), EventList)


@cache
def openapi_document() -> str:
    document = openapi.document(OPERATIONS, **INFO)
    # The budget's upper bound is the stack's MaxDailyBudgetUsd, known only at run time.
    budget = document["components"]["schemas"]["CreateJob"]["properties"]["daily_budget_usd"]["anyOf"][0]
    budget["maximum"] = float(Settings.from_env().max_daily_budget_usd)
    return json.dumps(document)


@app.get("/api/openapi.json")
def get_openapi() -> Response:
    return Response(200, "application/json", openapi_document())


def normalize_content_type(event: dict[str, Any]) -> dict[str, Any]:
    """`curl -d '{...}'` sends form encoding by default: a JSON-looking body is read as JSON."""
    headers = event.get("headers") or {}
    body = event.get("body") or ""
    content_type = headers.get("content-type", "")
    is_form = content_type.startswith("application/x-www-form-urlencoded") and not event.get("isBase64Encoded")
    if is_form and body.lstrip().startswith(("{", "[")):
        event = {**event, "headers": {**headers, "content-type": "application/json"}}
    return event
