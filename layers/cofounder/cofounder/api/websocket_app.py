"""The WebSocket API: `$connect` (JWT in ?token=), `$default` (subscribe / unsubscribe), `$disconnect`."""

from __future__ import annotations

import json
import logging
from typing import Any

from cofounder.api.bounds import MAX_EVENT_ID, MAX_ID_LENGTH, id_shaped
from cofounder.bootstrap import runtime
from cofounder.errors import ConnectionGone, NotFound, PushFailed
from cofounder.services import subscriptions

log = logging.getLogger(__name__)

OK = {"statusCode": 200}


def handle(event: dict[str, Any]) -> dict[str, Any]:
    context = event.get("requestContext") or {}
    route = context.get("routeKey")
    connection_id = context.get("connectionId")
    if not connection_id:
        return {"statusCode": 400, "body": "not a WebSocket event"}
    if route == "$connect":
        return on_connect(connection_id, event)
    if route == "$disconnect":
        subscriptions.disconnect(runtime(), connection_id)
        return OK
    return on_message(connection_id, event.get("body"))


def on_connect(connection_id: str, event: dict[str, Any]) -> dict[str, Any]:
    # PyJWT (and `cryptography` with it) only where a token is checked: messages and disconnects never need it.
    from cofounder.auth import InvalidToken, verify_token

    rt = runtime()
    token = (event.get("queryStringParameters") or {}).get("token")
    try:
        claims = verify_token(token, rt.settings)
    except InvalidToken as exc:
        log.info("connection %s refused: %s", connection_id, exc)
        return {"statusCode": 401, "body": "Unauthorized"}
    subscriptions.connect(rt, connection_id, str(claims["sub"]))
    return OK


def _error(connection_id: str, message: str, action: Any = None) -> dict[str, Any]:
    reply: dict[str, Any] = {"type": "error", "message": message}
    if action is not None:
        reply["action"] = action
    try:
        runtime().pusher.send(connection_id, [reply])
    except ConnectionGone:
        runtime().pusher.forget(connection_id)
    except PushFailed as exc:  # the reply is a courtesy: the message is answered either way
        log.warning("error reply to %s failed: %s", connection_id, exc.reason)
    return OK


def _shown(value: str) -> str:
    """An id or action as an error reply quotes it: a frame stays small whatever the client sent."""
    return value if len(value) <= MAX_ID_LENGTH else f"{value[:MAX_ID_LENGTH]}..."


def on_message(connection_id: str, body: Any) -> dict[str, Any]:
    try:
        message = json.loads(body or "")
    except RecursionError:
        return _error(connection_id, "Messages are small JSON objects: this one is nested too deeply.")
    except (TypeError, ValueError):
        return _error(connection_id, 'Messages are JSON objects: {"action": "subscribe", "job_id": "..."}.')
    if not isinstance(message, dict):
        return _error(connection_id, "Messages are JSON objects with an action.")
    action = message.get("action")
    job_id = message.get("job_id")
    if action not in ("subscribe", "unsubscribe"):
        if not isinstance(action, str):
            return _error(connection_id, "Unknown action: use subscribe or unsubscribe.")
        shown = _shown(action)
        return _error(connection_id, f"Unknown action {shown!r}: use subscribe or unsubscribe.", shown)
    if not isinstance(job_id, str) or not job_id:
        return _error(connection_id, "job_id is required.", action)
    rt = runtime()
    if action == "unsubscribe":
        if id_shaped(job_id):  # no other id can have been subscribed to
            subscriptions.unsubscribe(rt, connection_id, job_id)
        return OK
    after = message.get("after", 0)
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= MAX_EVENT_ID:
        return _error(connection_id, f"after must be an event_id from 0 to {MAX_EVENT_ID}.", action)
    try:
        if not id_shaped(job_id):  # answered like any unknown job, before any read
            raise NotFound(job_id)
        subscriptions.subscribe(rt, connection_id, job_id, after)
    except NotFound:
        return _error(connection_id, f"Job {_shown(job_id)} not found.", action)
    return OK
