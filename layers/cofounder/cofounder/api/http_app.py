"""The HTTP API: routes, validation, tenancy (JWT `sub`) and one place that maps errors to statuses."""

from __future__ import annotations

import json
from decimal import Decimal
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Query

from cofounder.api.models import (
    CreateJob,
    ErrorBody,
    EscalationList,
    EscalationOut,
    EventList,
    JobCreated,
    JobList,
    JobStatus,
    JobSummary,
    ResolveEscalation,
)
from cofounder.bootstrap import runtime
from cofounder.domain.pricing import UnknownModelError
from cofounder.errors import AlreadyResolved, NotFound
from cofounder.services import escalations, queries
from cofounder.services.jobs import create_job

SECURITY = [{"bearerAuth": []}]


def _errors(*codes: int) -> dict[int, Any]:
    reasons = {
        400: "Malformed JSON",
        401: "Missing or invalid token",
        404: "Unknown, or another founder's",
        409: "Already resolved",
        422: "Invalid body or parameter (the fields are named)",
    }
    return {c: {"description": reasons[c], "content": {"application/json": {"model": ErrorBody}}} for c in codes}


def _ok(model: type, code: int = 200, description: str = "OK") -> dict[int, Any]:
    return {code: {"description": description, "content": {"application/json": {"model": model}}}}
app = APIGatewayHttpResolver(enable_validation=True)


class Unauthorized(Exception):
    pass


def owner_id() -> str:
    """The founder: the `sub` claim the JWT authorizer verified (API Gateway, or the local cloud)."""
    authorizer = app.current_event.request_context.authorizer
    sub = authorizer.jwt_claim.get("sub") if authorizer and authorizer.jwt_claim else None
    if not sub:
        raise Unauthorized()
    return str(sub)


def _error(status: HTTPStatus, message: str, **extra: Any) -> Response:
    return Response(
        status_code=status.value,
        content_type="application/json",
        body=json.dumps({"message": message, **extra}),
    )


@app.exception_handler(Unauthorized)
def _unauthorized(_: Unauthorized) -> Response:
    return _error(HTTPStatus.UNAUTHORIZED, "Missing or invalid bearer token.")


@app.exception_handler(NotFound)
def _not_found(exc: NotFound) -> Response:
    return _error(HTTPStatus.NOT_FOUND, f"{str(exc).capitalize()}.")


@app.exception_handler(AlreadyResolved)
def _conflict(exc: AlreadyResolved) -> Response:
    return _error(HTTPStatus.CONFLICT, f"{str(exc).capitalize()}.")


@app.exception_handler(UnknownModelError)
def _unknown_model(exc: UnknownModelError) -> Response:
    return _error(HTTPStatus.UNPROCESSABLE_ENTITY, str(exc), fields=["model"])


def _field(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
    return ".".join(loc) or "body"


@app.exception_handler(RequestValidationError)
def _invalid(exc: RequestValidationError) -> Response:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return _error(HTTPStatus.BAD_REQUEST, "The request body is not valid JSON.")
    fields = sorted({_field(e) for e in errors})
    details = "; ".join(f"{_field(e)}: {e.get('msg') or e.get('type')}" for e in errors)
    return _error(HTTPStatus.UNPROCESSABLE_ENTITY, f"Invalid request: {details}", fields=fields)


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported(_: RequestUnsupportedContentType) -> Response:
    return _error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Send the body as JSON (content-type: application/json).")


@app.exception_handler([UnicodeDecodeError, ValueError])
def _malformed(_: Exception) -> Response:
    return _error(HTTPStatus.BAD_REQUEST, "The request body could not be read: send JSON encoded as UTF-8.")


@app.post(
    "/api/jobs",
    status_code=201,
    security=SECURITY,
    summary="Start a job for a goal",
    responses={**_ok(JobCreated, 201, "Created"), **_errors(400, 401, 422)},
)
def post_job(body: CreateJob) -> JobCreated:
    budget = None if body.daily_budget_usd is None else Decimal(str(body.daily_budget_usd))
    job = create_job(runtime(), owner_id(), body.goal, budget, body.model)
    return JobCreated(job_id=job.job_id, session_id=job.session_id, state=job.state.value)


@app.get(
    "/api/jobs",
    security=SECURITY,
    summary="The founder's jobs, newest first",
    responses={**_ok(JobList), **_errors(401, 422)},
)
def get_jobs(limit: Annotated[int, Query(ge=1, le=100)] = 50) -> JobList:
    return JobList(jobs=[JobSummary(**j) for j in queries.list_jobs(runtime(), owner_id(), limit)])


@app.get(
    "/api/jobs/<job_id>/status",
    security=SECURITY,
    summary="The live status bootstrap",
    responses={**_ok(JobStatus), **_errors(401, 404)},
)
def get_status(job_id: str) -> JobStatus:
    return JobStatus(**queries.job_status(runtime(), job_id, owner_id()))


@app.get(
    "/api/jobs/<job_id>/escalations",
    security=SECURITY,
    summary="A job's escalations",
    responses={**_ok(EscalationList), **_errors(401, 404)},
)
def get_escalations(job_id: str) -> EscalationList:
    found = escalations.list_escalations(runtime(), job_id, owner_id())
    return EscalationList(escalations=[EscalationOut(**e.public()) for e in found])


@app.post(
    "/api/escalations/<escalation_id>/resolve",
    security=SECURITY,
    summary="Answer an escalation",
    responses={**_ok(EscalationOut), **_errors(400, 401, 404, 409, 422)},
)
def post_resolve(escalation_id: str, body: ResolveEscalation) -> EscalationOut:
    resolved = escalations.resolve(runtime(), escalation_id, owner_id(), body.decision, body.guidance)
    return EscalationOut(**resolved.public())


@app.get(
    "/api/jobs/<job_id>/events",
    security=SECURITY,
    summary="Replay a job's events",
    responses={**_ok(EventList), **_errors(401, 404, 422)},
)
def get_events(job_id: str, after: Annotated[int, Query(ge=0, le=10**10)] = 0) -> EventList:
    return EventList(events=queries.job_events(runtime(), job_id, owner_id(), after))


@app.get("/api/openapi.json", include_in_schema=False)
def get_openapi():
    return Response(status_code=200, content_type="application/json", body=openapi_document())


def openapi_document() -> str:
    return app.get_openapi_json_schema(
        title="Cofounder API",
        version="1.0.0",
        description="Start jobs, follow the agent live, answer its escalations. Auth: a JWT bearer token.",
        security_schemes={"bearerAuth": HTTPBearer(bearerFormat="JWT")},
    )


def normalize_content_type(event: dict[str, Any]) -> dict[str, Any]:
    """`curl -d '{...}'` sends form encoding by default: a JSON-looking body is read as JSON."""
    headers = event.get("headers") or {}
    body = event.get("body") or ""
    content_type = headers.get("content-type", "")
    is_form = content_type.startswith("application/x-www-form-urlencoded") and not event.get("isBase64Encoded")
    if is_form and body.lstrip().startswith(("{", "[")):
        event = {**event, "headers": {**headers, "content-type": "application/json"}}
    return event
