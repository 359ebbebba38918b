"""What Anthropic's text editor tool (`text_editor_20250728`, named `str_replace_based_edit_tool`) does to a
workspace file, as pure functions over text.

The model knows the tool's schema; these functions give its commands their meaning and answer in the strings
Anthropic documents (https://platform.claude.com/docs/en/agents-and-tools/tool-use/text-editor-tool: "Error:
File not found", "Error: Found 3 matches for replacement text. Please provide more context to make a unique
match.", "Error: No match found for replacement. Please check your text and try again.", "Successfully
replaced text at exactly one location.") and, where the page gives none, in those of Anthropic's reference
implementation (anthropic-quickstarts, computer-use-demo `tools/edit.py`): `cat -n` style numbering
(`{n:6}\\t{line}`), "File created successfully at: ...", the `view_range` and `insert_line` errors, the
`<response clipped><NOTE>...</NOTE>` truncation note. Every `EditorError` message is the whole tool result,
`Error: ` included.

Choices where the documentation is silent: `create` overwrites an existing file (and says so), `view_range`
ending past the last line shows up to the last line, `insert` takes `insert_text` (the documented parameter)
or `new_str` (the reference implementation's), and a final newline ends the last line rather than starting
an empty one (a file "a\\nb\\n" has two lines, and inserting after line 2 appends).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cofounder.domain.workspace import Manifest, WorkspaceError, display, normalize
from cofounder.errors import CofounderError

TOOL_TYPE = "text_editor_20250728"
TOOL_NAME = "str_replace_based_edit_tool"
COMMANDS = ("view", "create", "str_replace", "insert")
DEFAULT_MAX_CHARACTERS = 10_000
"""The `max_characters` of the tool definition: the most of a file one `view` shows."""
SNIPPET_LINES = 4
"""Lines shown around an edit, before and after."""
LISTING_DEPTH = 2


class EditorError(CofounderError):
    """A command the editor refuses; the message is the `is_error` tool result the model reads."""


@dataclass(frozen=True, slots=True)
class EditorOutcome:
    """The result of one command: what the model reads and, for an edit, the file's new text."""

    content: str
    path: str
    new_text: str | None = None
    """The text to write at `path` (None: nothing to write)."""


def split_lines(text: str) -> list[str]:
    """The lines of a file: a final newline ends the last line, it does not start an empty one."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _numbered(lines: list[str], first: int) -> list[str]:
    return [f"{number:6}\t{line}" for number, line in enumerate(lines, start=first)]


def _clip(rows: list[str], max_characters: int) -> tuple[list[str], bool]:
    """The leading rows that fit in `max_characters` (newlines counted), and whether some were left out. A first
    row longer than that is cut to fit, so something is always shown."""
    kept: list[str] = []
    used = 0
    for row in rows:
        if used + len(row) + 1 > max_characters:
            if not kept:
                kept.append(row[: max(max_characters - 1, 0)])
            return kept, True
        kept.append(row)
        used += len(row) + 1
    return kept, False


@dataclass(frozen=True, slots=True)
class _Shown:
    text: str
    last_line: int
    clipped: bool
    """Lines were left out."""
    line_cut: bool
    """The one line shown was longer than the limit and was cut."""


def _cat_n(lines: list[str], first: int, descriptor: str, max_characters: int) -> _Shown:
    """`cat -n` of `lines` numbered from `first`, at most `max_characters` of it."""
    numbered = _numbered(lines, first)
    rows, clipped = _clip(numbered, max_characters)
    text = f"Here's the result of running `cat -n` on {descriptor}:\n" + "\n".join(rows) + "\n"
    return _Shown(text, first + len(rows) - 1, clipped, line_cut=clipped and len(rows[0]) < len(numbered[0]))


def _clipped_note(start: int, shown: _Shown, total: int, max_characters: int) -> str:
    """Which lines a clipped view showed, and how to see the rest."""
    if shown.line_cut:
        what = f"line {start} of {total}, cut at {max_characters:,} characters. Read long lines with run_command"
        what += " (for example `cut -c1-2000`)"
        if start < total:
            what += f", and view the rest with `view_range` (for example [{start + 1}, -1])"
    else:
        what = (
            f"lines {start}-{shown.last_line} of {total}. View the rest with `view_range` (for example "
            f"[{shown.last_line + 1}, -1]), or find the line numbers you need with `grep -n` in run_command"
        )
    return f"<response clipped><NOTE>To save on context only part of this file has been shown to you: {what}.</NOTE>\n"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def view_file(path: str, text: str, view_range: object = None, max_characters: int = DEFAULT_MAX_CHARACTERS) -> str:
    """`view` of a file: its lines numbered like `cat -n`, `view_range` [start, end] (1-based, end -1 = to the
    end of the file) choosing some, cut at `max_characters` with a note saying how to see the rest."""
    lines = split_lines(text)
    total = len(lines)
    start, end = 1, total
    if view_range is not None:
        if not isinstance(view_range, list | tuple) or len(view_range) != 2 or not all(map(_is_int, view_range)):
            raise EditorError("Error: Invalid `view_range`. It should be a list of two integers.")
        start, end = view_range
        shown_range = list(view_range)
        if start < 1 or start > total:
            raise EditorError(
                f"Error: Invalid `view_range`: {shown_range}. Its first element `{start}` should be within the "
                f"range of lines of the file: {[1, total]}"
            )
        if end != -1 and end < start:
            raise EditorError(
                f"Error: Invalid `view_range`: {shown_range}. Its second element `{end}` should be larger or "
                f"equal than its first `{start}`"
            )
        end = total if end == -1 else min(end, total)
    if total == 0:
        return f"The file {path} is empty."
    shown = _cat_n(lines[start - 1 : end], start, path, max_characters)
    if shown.clipped:
        return shown.text + _clipped_note(start, shown, total, max_characters)
    return shown.text


def view_directory(path: str, manifest: Manifest, max_characters: int = DEFAULT_MAX_CHARACTERS) -> str:
    """`view` of a directory (canonical `path`, `""` the root): what it holds two levels deep, hidden items
    left out, each as a path from the workspace root (the form the editor takes back), folders ending in `/`."""
    try:
        entries = manifest.listing(path, depth=LISTING_DEPTH, include_hidden=False)
    except WorkspaceError as exc:
        raise EditorError(f"Error: {exc}") from exc
    prefix = f"{path}/" if path else ""
    rows, clipped = _clip([prefix + entry for entry in entries] or ["(empty)"], max_characters)
    content = (
        f"Here's the files and directories up to {LISTING_DEPTH} levels deep in {display(path)}, excluding "
        "hidden items:\n" + "\n".join(rows) + "\n"
    )
    if clipped:
        content += (
            f"<response clipped><NOTE>Only {len(rows)} of {len(entries)} entries are shown. View a subdirectory, "
            "or list files with `find` in run_command.</NOTE>\n"
        )
    return content


def create(path: str, file_text: str, *, existed: bool = False) -> str:
    """`create`: the result of writing `file_text` at `path` (an existing file is replaced)."""
    if existed:
        return f"File overwritten successfully at: {path} (its previous content was replaced)"
    return f"File created successfully at: {path}"


def _match_starts(text: str, old: str) -> list[int]:
    """Where `old` occurs in `text`, overlapping occurrences included (each is a different edit)."""
    starts: list[int] = []
    at = text.find(old)
    while at != -1:
        starts.append(at)
        at = text.find(old, at + 1)
    return starts


def _snippet(new_text: str, first_line: int, last_line: int, path: str, max_characters: int) -> str:
    """`cat -n` of the edited lines (0-based, inclusive) of `new_text`, with SNIPPET_LINES around them."""
    lines = split_lines(new_text)
    if not lines:
        return f"The file {path} is now empty.\n"
    start = max(0, first_line - SNIPPET_LINES)
    stop = min(len(lines), last_line + SNIPPET_LINES + 1)
    shown = _cat_n(lines[start:stop], start + 1, f"a snippet of {path}", max_characters)
    if shown.clipped:
        return shown.text + "<response clipped><NOTE>The snippet was cut; view the file to see the rest.</NOTE>\n"
    return shown.text


def str_replace(
    text: str,
    old_str: str,
    new_str: str | None = None,
    *,
    path: str = "the file",
    max_characters: int = DEFAULT_MAX_CHARACTERS,
) -> tuple[str, str]:
    """`str_replace`: `old_str` replaced by `new_str` (None or "" deletes it) where it matches exactly once.

    Returns the new text and the result for the model (the documented sentence, then a snippet of the edit).
    """
    if not old_str:
        raise EditorError(
            "Error: Parameter `old_str` must not be empty for command: str_replace. Use `create` to write a whole "
            "file, or `insert` to add lines."
        )
    new = new_str or ""
    starts = _match_starts(text, old_str)
    if not starts:
        raise EditorError(
            "Error: No match found for replacement. Please check your text and try again. `old_str` must appear "
            f"verbatim in {path}, including whitespace and indentation."
        )
    if len(starts) > 1:
        lines = [text.count("\n", 0, at) + 1 for at in starts]
        raise EditorError(
            f"Error: Found {len(starts)} matches for replacement text. Please provide more context to make a "
            f"unique match. The matches start on lines {lines}."
        )
    at = starts[0]
    new_text = text[:at] + new + text[at + len(old_str) :]
    first_line = text.count("\n", 0, at)
    message = (
        "Successfully replaced text at exactly one location.\n"
        + _snippet(new_text, first_line, first_line + new.count("\n"), path, max_characters)
        + "Review the changes and make sure they are as expected. Edit the file again if necessary."
    )
    return new_text, message


def insert(
    text: str,
    insert_line: object,
    insert_text: str,
    *,
    path: str = "the file",
    max_characters: int = DEFAULT_MAX_CHARACTERS,
) -> tuple[str, str]:
    """`insert`: `insert_text` as new lines after line `insert_line` (0: at the top; the line count: at the end).

    Returns the new text and the result for the model (what was done, then a snippet of the edit).
    """
    lines = split_lines(text)
    total = len(lines)
    if not isinstance(insert_line, int) or isinstance(insert_line, bool) or not 0 <= insert_line <= total:
        raise EditorError(
            f"Error: Invalid `insert_line` parameter: {insert_line}. It should be within the range of lines of "
            f"the file: {[0, total]}"
        )
    added = split_lines(insert_text)
    if not added:
        raise EditorError("Error: `insert_text` is empty, so there is nothing to insert. Send `\\n` for a blank line.")
    result = lines[:insert_line] + added + lines[insert_line:]
    ends_with_newline = text.endswith("\n") or (insert_line == total and insert_text.endswith("\n"))
    new_text = "\n".join(result) + ("\n" if ends_with_newline else "")
    where = "at the beginning of the file" if insert_line == 0 else f"after line {insert_line}"
    message = (
        f"Successfully inserted {len(added)} line{'s' if len(added) != 1 else ''} {where}.\n"
        + _snippet(new_text, insert_line, insert_line + len(added) - 1, path, max_characters)
        + "Review the changes and make sure they are as expected (correct indentation, no duplicate lines, etc). "
        "Edit the file again if necessary."
    )
    return new_text, message


def decode_text(path: str, data: bytes) -> str:
    """A workspace file's bytes as text; the editor opens UTF-8 text only."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise EditorError(
            f"Error: {path} is not a UTF-8 text file ({len(data):,} bytes), so the editor cannot open it. Inspect "
            "it with run_command instead (for example `file` or `head -c 200 | xxd`)."
        )
    return text


def _optional_str(params: Mapping[str, Any], name: str, command: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise EditorError(f"Error: Parameter `{name}` must be a string for command: {command}")
    return value


def _required_str(params: Mapping[str, Any], name: str, command: str) -> str:
    value = _optional_str(params, name, command)
    if value is None:
        raise EditorError(f"Error: Parameter `{name}` is required for command: {command}")
    return value


def execute(
    params: Mapping[str, Any],
    *,
    manifest: Manifest,
    read: Callable[[str], bytes],
    max_characters: int = DEFAULT_MAX_CHARACTERS,
) -> EditorOutcome:
    """Run one tool call (`params` is the tool_use input) against the workspace as of `manifest`; `read` gives
    the bytes of a file the manifest lists. Raises `EditorError` with the tool result of a refused call.

    Limits are the caller's to check (`check_change` with the new text's size) before it writes `new_text`.
    """
    command = params.get("command")
    if command not in COMMANDS:
        raise EditorError(
            f"Error: Unrecognized command {command}. The allowed commands for the {TOOL_NAME} tool are: "
            + ", ".join(COMMANDS)
        )
    try:
        path = normalize(_required_str(params, "path", command))
    except WorkspaceError as exc:
        raise EditorError(f"Error: {exc}") from exc
    shown = display(path)
    if manifest.is_dir(path):
        if command != "view":
            raise EditorError(
                f"Error: The path {shown} is a directory and only the `view` command can be used on directories"
            )
        if params.get("view_range") is not None:
            raise EditorError("Error: The `view_range` parameter is not allowed when `path` points to a directory.")
        return EditorOutcome(view_directory(path, manifest, max_characters), path)

    if command == "create":
        file_text = _required_str(params, "file_text", command)
        above = manifest.file_above(path)
        if above is not None:
            raise EditorError(f"Error: {above} is a file, so {path} cannot be created inside it.")
        return EditorOutcome(create(path, file_text, existed=manifest.is_file(path)), path, file_text)

    if not manifest.is_file(path):
        raise EditorError(f"Error: File not found: {shown}")
    text = decode_text(path, read(path))

    if command == "view":
        return EditorOutcome(view_file(path, text, params.get("view_range"), max_characters), path)
    if command == "str_replace":
        old_str = _required_str(params, "old_str", command)
        new_str = _optional_str(params, "new_str", command)
        new_text, message = str_replace(text, old_str, new_str, path=path, max_characters=max_characters)
        return EditorOutcome(message, path, new_text)
    insert_line = params.get("insert_line")
    if insert_line is None:
        raise EditorError("Error: Parameter `insert_line` is required for command: insert")
    name = "insert_text" if "insert_text" in params or "new_str" not in params else "new_str"
    insert_text = _required_str(params, name, command)
    new_text, message = insert(text, insert_line, insert_text, path=path, max_characters=max_characters)
    return EditorOutcome(message, path, new_text)
