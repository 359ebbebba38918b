"""The console's files, served by the local HTTP API for any GET/HEAD outside ``/api/`` (local cloud only)."""

from __future__ import annotations

import email.utils
import mimetypes
import urllib.parse
from pathlib import Path

from werkzeug import Response

__all__ = ["StaticFiles"]


class StaticFiles:
    """Files under one directory; ``index.html`` for a directory; nothing outside it (``..``, encoded or not)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory).resolve()

    def response(self, method: str, raw_path: str) -> Response | None:
        """The file's response, or None when the request is not for a file here."""
        if method not in ("GET", "HEAD"):
            return None
        if raw_path == "/api" or raw_path.startswith("/api/"):
            return None
        target = self._file(raw_path)
        if target is None:
            return None
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        headers = [
            ("content-type", content_type),
            ("cache-control", "no-cache"),
            ("last-modified", email.utils.formatdate(target.stat().st_mtime, usegmt=True)),
        ]
        return Response(target.read_bytes(), 200, headers)

    def _file(self, raw_path: str) -> Path | None:
        relative = urllib.parse.unquote(raw_path).lstrip("/")
        if "\x00" in relative or "\\" in relative or any(part == ".." for part in relative.split("/")):
            return None
        target = (self.directory / relative).resolve()
        if not target.is_relative_to(self.directory):
            return None
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None
