"""A job's workspace: the path rules, the limits, and the manifest (path -> content hash, size, step).

Paths are `/`-separated and relative to the workspace root. What the model or a founder writes is mapped onto
that form by `normalize`: a leading `/` is the workspace root (so `/etc/passwd` is the workspace's
`etc/passwd`, never the host's), and so is `/workspace`, where commands see the workspace. Anything that
could leave the root or confuse a file system, an archive or the console is refused with a `WorkspaceError`
whose message names the rule; the model reads it as a tool error.

Pure: the manifest's durable copy and the contents (content-addressed objects) live in adapters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from cofounder.errors import CofounderError

MAX_NAME_BYTES = 255
"""Longest file or folder name, in UTF-8 bytes (the limit of ext4, APFS and most others)."""
MAX_PATH_BYTES = 1024
"""Longest path, in UTF-8 bytes, once normalized."""
ROOT_ALIAS = "workspace"
"""`/workspace/...` names the root too: commands see the workspace there."""

_SHOWN_CHARS = 80
# Characters that reorder how a name is displayed (U+202E turns "txt.exe" into "exe.txt" on screen): a file
# name the founder reads in the console must show what it is.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class WorkspaceError(CofounderError):
    """A path or a change the workspace refuses; the message names the rule and is written for the model."""


class WorkspaceLimitExceeded(WorkspaceError):
    """A change that would take the workspace over one of its limits; `limit` is the `Limits` field."""

    def __init__(self, message: str, *, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


def _shown(path: str) -> str:
    """The path quoted for a message: escaped, and cut when long (messages stay short)."""
    if len(path) > _SHOWN_CHARS:
        return repr(path[:_SHOWN_CHARS]) + "..."
    return repr(path)


def _refuse_bad_characters(path: str) -> None:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise WorkspaceError(f"The path {_shown(path)} is not valid Unicode text.") from None
    if "\x00" in path:
        raise WorkspaceError(f"The path {_shown(path)} contains a NUL character, which no file name may contain.")
    for char in path:
        if unicodedata.category(char) == "Cc":
            raise WorkspaceError(
                f"The path {_shown(path)} contains the control character U+{ord(char):04X}; file names may not "
                "contain control characters such as newlines or tabs."
            )
        if char in _BIDI_CONTROLS:
            raise WorkspaceError(
                f"The path {_shown(path)} contains the text-direction character U+{ord(char):04X}, which would "
                "make the name display as something else; remove it."
            )
    if "\\" in path:
        raise WorkspaceError(f"The path {_shown(path)} contains a backslash; use '/' to separate folders.")


def normalize(path: object) -> str:
    """The canonical form of a workspace path: `/`-separated names, no leading `/`; `""` is the root.

    `.` names are dropped and `..` goes up one folder, but never above the root. One trailing `/` is allowed
    (`src/` names a directory). Refused: `..` past the root, NUL, control and text-direction characters,
    backslashes, empty names (`a//b`), names over 255 bytes and paths over 1024 bytes.
    """
    if not isinstance(path, str):
        raise WorkspaceError("A path must be a string, such as notes/brief.md.")
    _refuse_bad_characters(path)
    rest = path
    if rest.startswith("/"):
        rest = rest[1:]
        first, _, after = rest.partition("/")
        if first == ROOT_ALIAS:
            rest = after
    rest = rest.removesuffix("/")
    names: list[str] = []
    for name in rest.split("/") if rest else ():
        if name == "":
            raise WorkspaceError(
                f"The path {_shown(path)} has an empty name (two '/' in a row); write each folder once, "
                "such as notes/brief.md."
            )
        if name == ".":
            continue
        if name == "..":
            if not names:
                raise WorkspaceError(
                    f"The path {_shown(path)} goes above the workspace root with '..'; paths stay inside the "
                    "workspace (a leading '/' means the workspace root)."
                )
            names.pop()
            continue
        size = len(name.encode("utf-8"))
        if size > MAX_NAME_BYTES:
            raise WorkspaceError(
                f"The name {_shown(name)} is {size} bytes long; a file or folder name may be at most "
                f"{MAX_NAME_BYTES} bytes (UTF-8)."
            )
        names.append(name)
    canonical = "/".join(names)
    size = len(canonical.encode("utf-8"))
    if size > MAX_PATH_BYTES:
        raise WorkspaceError(
            f"The path {_shown(canonical)} is {size} bytes long; a path may be at most {MAX_PATH_BYTES} bytes (UTF-8)."
        )
    return canonical


def normalize_file(path: object) -> str:
    """`normalize`, refusing the root: a path that must name a file."""
    canonical = normalize(path)
    if canonical == "":
        raise WorkspaceError(
            f"The path {_shown(str(path))} is the workspace root, which is a directory; name a file inside it, "
            "such as notes.md."
        )
    return canonical


def display(path: str) -> str:
    """How a canonical path is shown to the model: as it is, and the root as `/`."""
    return path or "/"


def _ancestors(path: str) -> Iterator[str]:
    """The folders above a canonical path, nearest first (the root excluded)."""
    while "/" in path:
        path = path.rsplit("/", 1)[0]
        yield path


@dataclass(frozen=True, slots=True)
class Limits:
    """How much a workspace may hold; going over one is a tool error naming the field."""

    max_file_bytes: int = 1024 * 1024
    max_files: int = 500
    max_workspace_bytes: int = 50 * 1024 * 1024
    max_files_per_step: int = 20

    def __post_init__(self) -> None:
        for name in ("max_file_bytes", "max_files", "max_workspace_bytes", "max_files_per_step"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file of the manifest: its content is the object named by `sha256`."""

    path: str
    sha256: str
    size: int
    step: int
    """The step whose commit last wrote the file."""
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size, "step": self.step, "updated_at": self.updated_at}

    @classmethod
    def from_dict(cls, path: str, data: Mapping[str, Any]) -> FileEntry:
        return cls(
            path=path,
            sha256=str(data["sha256"]),
            size=int(data["size"]),
            step=int(data["step"]),
            updated_at=str(data["updated_at"]),
        )


@dataclass(frozen=True)
class Manifest:
    """The workspace as of a commit: canonical path -> `FileEntry`. Directories exist only through their files."""

    files: Mapping[str, FileEntry] = field(default_factory=dict)
    _dirs: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        files = dict(self.files)
        for path, entry in files.items():
            if entry.path != path:
                raise ValueError(f"manifest key {path!r} holds the entry of {entry.path!r}")
        object.__setattr__(self, "files", MappingProxyType(files))
        object.__setattr__(self, "_dirs", frozenset(d for path in files for d in _ancestors(path)))

    @classmethod
    def of(cls, entries: Iterable[FileEntry]) -> Manifest:
        return cls({entry.path: entry for entry in entries})

    def __len__(self) -> int:
        return len(self.files)

    def __contains__(self, path: object) -> bool:
        return path in self.files

    def __iter__(self) -> Iterator[FileEntry]:
        """The entries, sorted by path."""
        return (self.files[path] for path in sorted(self.files))

    def get(self, path: str) -> FileEntry | None:
        return self.files.get(path)

    @property
    def total_bytes(self) -> int:
        return sum(entry.size for entry in self.files.values())

    def is_file(self, path: str) -> bool:
        return path in self.files

    def is_dir(self, path: str) -> bool:
        """True for the root and for every folder some file lies under."""
        return path == "" or path in self._dirs

    def file_above(self, path: str) -> str | None:
        """The file, if any, standing where a folder of `path` would have to be (`a.md` for `a.md/x`)."""
        return next((folder for folder in _ancestors(path) if folder in self.files), None)

    def listing(self, directory: str = "", *, depth: int = 1, include_hidden: bool = True) -> list[str]:
        """What lies in `directory` down to `depth` levels, relative to it and sorted; folders end with `/`.

        A folder comes right before what it holds. Hidden items (a name starting with `.`) and what they hold
        are left out when `include_hidden` is false.
        """
        if not self.is_dir(directory):
            if self.is_file(directory):
                raise WorkspaceError(f"{directory} is a file, not a directory.")
            raise WorkspaceError(f"There is no directory {directory} in the workspace.")
        prefix = f"{directory}/" if directory else ""
        found: set[str] = set()
        for path in self.files:
            if not path.startswith(prefix):
                continue
            names = path[len(prefix) :].split("/")
            for level in range(1, min(depth, len(names)) + 1):
                if not include_hidden and names[level - 1].startswith("."):
                    break
                is_folder = level < len(names)
                found.add("/".join(names[:level]) + ("/" if is_folder else ""))
        return sorted(found)

    def apply(self, changes: Mapping[str, FileEntry | None]) -> Manifest:
        """The manifest after `changes` (path -> its new entry, or None for a deleted file)."""
        files = dict(self.files)
        for path, entry in changes.items():
            if entry is None:
                files.pop(path, None)
            else:
                files[path] = entry
        return Manifest(files)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {path: self.files[path].to_dict() for path in sorted(self.files)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, Any]]) -> Manifest:
        return cls({path: FileEntry.from_dict(path, entry) for path, entry in data.items()})


def _bytes(size: int) -> str:
    return f"{size:,} bytes"


def check_change(manifest: Manifest, changes: Mapping[str, int | None], limits: Limits) -> None:
    """Refuse a set of changes (canonical path -> its new size in bytes, or None for a deletion) that would
    break a path rule or take the workspace over a limit; nothing of a refused change may be written.

    A workspace already over a limit (limits lowered since) may still shrink: the file count and the total are
    refused only when they would grow past their limit.
    """
    if len(changes) > limits.max_files_per_step:
        raise WorkspaceLimitExceeded(
            f"This step would change {len(changes)} files; at most {limits.max_files_per_step} files may change "
            "in one step (max_files_per_step), so none were changed. Change fewer files at a time.",
            limit="max_files_per_step",
        )
    for path, size in sorted(changes.items()):
        if size is not None and size > limits.max_file_bytes:
            raise WorkspaceLimitExceeded(
                f"{path} would be {_bytes(size)}; a file may be at most {_bytes(limits.max_file_bytes)} "
                "(max_file_bytes), so the change was not made.",
                limit="max_file_bytes",
            )
    after = {path: entry.size for path, entry in manifest.files.items()}
    for path, size in changes.items():
        if size is None:
            after.pop(path, None)
        else:
            after[path] = size
    if len(after) > limits.max_files and len(after) > len(manifest):
        raise WorkspaceLimitExceeded(
            f"The workspace would hold {len(after)} files; it may hold at most {limits.max_files} (max_files), "
            "so the change was not made. Delete or combine files first.",
            limit="max_files",
        )
    total = sum(after.values())
    if total > limits.max_workspace_bytes and total > manifest.total_bytes:
        raise WorkspaceLimitExceeded(
            f"The workspace would hold {_bytes(total)}; it may hold at most {_bytes(limits.max_workspace_bytes)} "
            "(max_workspace_bytes), so the change was not made. Delete or shrink files first.",
            limit="max_workspace_bytes",
        )
    folders = {folder for path in after for folder in _ancestors(path)}
    for path, size in sorted(changes.items()):
        if size is None:
            continue
        if path in folders:
            raise WorkspaceError(f"{path} is a directory, so it cannot also be a file; the change was not made.")
        above = next((folder for folder in _ancestors(path) if folder in after), None)
        if above is not None:
            raise WorkspaceError(f"{above} is a file, so {path} cannot be created inside it; the change was not made.")
