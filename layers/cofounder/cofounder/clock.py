"""The runtime's single source of "now". The local cloud swaps in its own clock for time travel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] | None = None


def now() -> datetime:
    return _source() if _source is not None else datetime.now(UTC)


def set_source(source: Callable[[], datetime] | None) -> None:
    """Install a clock (must return aware UTC datetimes); None restores the wall clock."""
    global _source
    _source = source
