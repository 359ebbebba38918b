"""The bounds both APIs put on what a client sends, so that no input reaches DynamoDB in a shape it refuses
(a key over 2 KB, an inverted key range) and no input is a 500."""

from __future__ import annotations

import re
from typing import Annotated

from msgspec import Meta

MAX_ID_LENGTH = 100
"""Job and escalation ids are UUIDs (36 characters): a longer one, or one with other characters, names nothing."""
ID_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9_.:-]{{0,{MAX_ID_LENGTH - 1}}}$"
_ID = re.compile(ID_PATTERN)
MAX_EVENT_ID = 10**10 - 1
"""The largest event_id the event log can hold (its sort keys have 10 digits)."""


def id_shaped(value: object) -> bool:
    """Whether `value` could be a job or escalation id: anything else is answered like an unknown id."""
    return isinstance(value, str) and _ID.match(value) is not None


EventId = Annotated[int, Meta(ge=0, le=MAX_EVENT_ID)]
IdCursor = Annotated[str, Meta(max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)]
JobsCursor = Annotated[str, Meta(max_length=200, pattern=r"^[0-9A-Za-z:.+_#-]{1,200}$")]
"""A position in a founder's jobs, newest first: `{created_at}#{job_id}` of the last job of the previous page."""
EventsLimit = Annotated[int, Meta(ge=1, le=1000)]
EscalationsLimit = Annotated[int, Meta(ge=1, le=1000)]
JobsLimit = Annotated[int, Meta(ge=1, le=100)]
