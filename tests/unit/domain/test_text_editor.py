import pytest

from cofounder.domain.text_editor import (
    COMMANDS,
    TOOL_NAME,
    TOOL_TYPE,
    EditorError,
    EditorOutcome,
    create,
    decode_text,
    execute,
    insert,
    split_lines,
    str_replace,
    view_directory,
    view_file,
)
from cofounder.domain.workspace import FileEntry, Manifest

THREE = "one\ntwo\nthree\n"


def numbered(*rows: tuple[int, str]) -> str:
    return "".join(f"{number:6}\t{line}\n" for number, line in rows)


def test_the_tool_is_the_text_editor_claude_is_trained_on():
    assert TOOL_TYPE == "text_editor_20250728"
    assert TOOL_NAME == "str_replace_based_edit_tool"
    assert COMMANDS == ("view", "create", "str_replace", "insert")


def test_split_lines_treats_a_final_newline_as_the_end_of_the_last_line():
    assert split_lines("") == []
    assert split_lines("\n") == [""]
    assert split_lines("a") == ["a"]
    assert split_lines("a\nb\n") == ["a", "b"]
    assert split_lines("a\n\n") == ["a", ""]


# --- view -----------------------------------------------------------------------------------------------------


def test_view_numbers_lines_like_cat_n():
    assert view_file("a.md", THREE) == (
        "Here's the result of running `cat -n` on a.md:\n" + numbered((1, "one"), (2, "two"), (3, "three"))
    )


def test_view_of_a_file_without_a_final_newline_shows_every_line():
    assert view_file("a.md", "one\ntwo").endswith(numbered((1, "one"), (2, "two")))


def test_view_of_an_empty_file_says_so():
    assert view_file("a.md", "") == "The file a.md is empty."


@pytest.mark.parametrize(
    ("view_range", "rows"),
    [
        ([2, 3], [(2, "two"), (3, "three")]),
        ([2, -1], [(2, "two"), (3, "three")]),
        ([1, 1], [(1, "one")]),
        ([3, 3], [(3, "three")]),
        ([3, -1], [(3, "three")]),
        ((1, 2), [(1, "one"), (2, "two")]),
        # An end past the last line shows up to the last line.
        ([2, 100], [(2, "two"), (3, "three")]),
    ],
)
def test_view_range_chooses_lines(view_range, rows):
    assert view_file("a.md", THREE, view_range) == (
        "Here's the result of running `cat -n` on a.md:\n" + numbered(*rows)
    )


@pytest.mark.parametrize(
    ("view_range", "message"),
    [
        ([0, 2], "Its first element `0` should be within the range of lines of the file: [1, 3]"),
        ([4, -1], "Its first element `4` should be within the range of lines of the file: [1, 3]"),
        ([-1, -1], "Its first element `-1` should be within"),
        ([3, 2], "Its second element `2` should be larger or equal than its first `3`"),
        ([2, 0], "Its second element `0` should be larger or equal than its first `2`"),
        ([2, -2], "Its second element `-2` should be larger or equal"),
    ],
)
def test_view_range_out_of_the_file_is_refused(view_range, message):
    with pytest.raises(EditorError) as raised:
        view_file("a.md", THREE, view_range)
    assert str(raised.value).startswith(f"Error: Invalid `view_range`: {list(view_range)}. ")
    assert message in str(raised.value)


@pytest.mark.parametrize("view_range", [[1], [1, 2, 3], ["1", "2"], [1.0, 2], [True, 2], "1-2", 5, {}])
def test_view_range_must_be_two_integers(view_range):
    with pytest.raises(EditorError, match=r"^Error: Invalid `view_range`. It should be a list of two integers.$"):
        view_file("a.md", THREE, view_range)


def test_view_range_on_an_empty_file_is_refused():
    with pytest.raises(EditorError, match=r"range of lines of the file: \[1, 0\]"):
        view_file("a.md", "", [1, -1])


def test_view_is_cut_at_max_characters_on_a_line_boundary_with_a_note():
    text = "".join(f"line {i}\n" for i in range(1, 101))
    shown = view_file("big.md", text, max_characters=100)
    head, note = shown.split("<response clipped>")
    body = head.removeprefix("Here's the result of running `cat -n` on big.md:\n")
    assert len(body) <= 100
    assert body == numbered(*[(i, f"line {i}") for i in range(1, 8)])
    assert note.startswith("<NOTE>To save on context only part of this file has been shown to you: lines 1-7 of 100.")
    assert "[8, -1]" in note and "grep -n" in note
    assert note.endswith("</NOTE>\n")


def test_view_truncation_counts_from_the_start_of_the_range():
    text = "".join(f"line {i}\n" for i in range(1, 101))
    shown = view_file("big.md", text, [50, -1], max_characters=50)
    assert numbered((50, "line 50")) in shown
    assert "lines 50-52 of 100" in shown and "[53, -1]" in shown


def test_a_line_longer_than_max_characters_is_cut():
    shown = view_file("wide.csv", "x" * 500 + "\nnext\n", max_characters=100)
    body = shown.split("\n", 1)[1].split("<response clipped>")[0]
    assert body == f"{1:6}\t" + "x" * (99 - 7) + "\n"
    assert "line 1 of 2, cut at 100 characters" in shown
    assert "[2, -1]" in shown


def test_a_view_that_fits_has_no_note():
    assert "<response clipped>" not in view_file(
        "a.md", THREE, max_characters=len(numbered((1, "one"), (2, "two"), (3, "three")))
    )


# --- view of a directory ----------------------------------------------------------------------------------------


def entry(path: str, size: int = 10) -> FileEntry:
    return FileEntry(path=path, sha256="0" * 64, size=size, step=1, updated_at="2026-11-25T17:00:00Z")


def workspace(files: dict[str, str]) -> tuple[Manifest, dict[str, bytes]]:
    contents = {path: text.encode() for path, text in files.items()}
    return Manifest.of(entry(path, len(data)) for path, data in contents.items()), contents


def test_view_of_a_directory_lists_two_levels_deep_without_hidden_items():
    files, _ = workspace(
        {"brief.md": "", "notes/a.md": "", "notes/deep/b.md": "", "notes/deep/deeper/c.md": "", ".git/x": ""}
    )
    assert view_directory("", files) == (
        "Here's the files and directories up to 2 levels deep in /, excluding hidden items:\n"
        "brief.md\nnotes/\nnotes/a.md\nnotes/deep/\n"
    )
    assert view_directory("notes", files) == (
        "Here's the files and directories up to 2 levels deep in notes, excluding hidden items:\n"
        "notes/a.md\nnotes/deep/\nnotes/deep/b.md\nnotes/deep/deeper/\n"
    )


def test_view_of_an_empty_workspace():
    assert view_directory("", Manifest()).endswith("excluding hidden items:\n(empty)\n")


def test_view_of_a_long_listing_is_cut_with_a_note():
    files, _ = workspace({f"f{i:03}.md": "" for i in range(300)})
    shown = view_directory("", files, max_characters=200)
    assert "<response clipped><NOTE>Only 25 of 300 entries are shown." in shown


# --- create -------------------------------------------------------------------------------------------------------


def test_create_reports_a_new_file_and_an_overwritten_one():
    assert create("a.md", "hi") == "File created successfully at: a.md"
    assert create("a.md", "hi", existed=True).startswith("File overwritten successfully at: a.md")


# --- str_replace ---------------------------------------------------------------------------------------------------


def test_str_replace_replaces_the_one_match_and_shows_a_snippet():
    new_text, message = str_replace(THREE, "two", "TWO", path="a.md")
    assert new_text == "one\nTWO\nthree\n"
    assert message == (
        "Successfully replaced text at exactly one location.\n"
        "Here's the result of running `cat -n` on a snippet of a.md:\n"
        + numbered((1, "one"), (2, "TWO"), (3, "three"))
        + "Review the changes and make sure they are as expected. Edit the file again if necessary."
    )


def test_str_replace_snippet_shows_four_lines_around_the_edit():
    text = "".join(f"l{i}\n" for i in range(1, 21))
    _, message = str_replace(text, "l10\n", "ten\nTEN\n", path="a.md")
    assert numbered(*[(i, f"l{i}") for i in range(6, 10)], (10, "ten"), (11, "TEN")) in message
    assert numbered((12, "l11"), (13, "l12"), (14, "l13"), (15, "l14"), (16, "l15")) in message
    assert "l5\n" not in message and "l16" not in message


def test_str_replace_with_no_match_gives_the_documented_error():
    with pytest.raises(EditorError) as raised:
        str_replace(THREE, "four", "4", path="a.md")
    assert str(raised.value).startswith("Error: No match found for replacement. Please check your text and try again.")
    assert "verbatim in a.md" in str(raised.value)


def test_str_replace_with_two_matches_says_how_many_and_where():
    with pytest.raises(EditorError) as raised:
        str_replace("a = 1\nb = 2\na = 1\n", "a = 1", "a = 3")
    assert str(raised.value) == (
        "Error: Found 2 matches for replacement text. Please provide more context to make a unique match. "
        "The matches start on lines [1, 3]."
    )


def test_overlapping_matches_count_as_several():
    with pytest.raises(EditorError, match="Found 2 matches"):
        str_replace("aaa", "aa", "b")


def test_str_replace_matches_whitespace_exactly():
    with pytest.raises(EditorError, match="No match found"):
        str_replace("    indented\n", "\tindented", "x")
    with pytest.raises(EditorError, match="No match found"):
        str_replace("Two\n", "two", "x")


@pytest.mark.parametrize("new_str", [None, ""])
def test_str_replace_without_new_str_deletes(new_str):
    new_text, _ = str_replace(THREE, "two\n", new_str)
    assert new_text == "one\nthree\n"


def test_str_replace_that_empties_the_file_says_so():
    new_text, message = str_replace("only\n", "only\n", None, path="a.md")
    assert new_text == ""
    assert "The file a.md is now empty." in message


def test_str_replace_refuses_an_empty_old_str():
    with pytest.raises(EditorError, match="`old_str` must not be empty"):
        str_replace(THREE, "", "x")


def test_str_replace_keeps_the_rest_of_the_file_byte_for_byte():
    text = "a\tb\r\nc  \n\nd"
    new_text, _ = str_replace(text, "c", "C")
    assert new_text == "a\tb\r\nC  \n\nd"


# --- insert --------------------------------------------------------------------------------------------------------


def test_insert_at_zero_puts_text_at_the_top():
    new_text, message = insert(THREE, 0, "zero\n", path="a.md")
    assert new_text == "zero\none\ntwo\nthree\n"
    assert message.startswith("Successfully inserted 1 line at the beginning of the file.\n")
    assert numbered((1, "zero"), (2, "one")) in message


def test_insert_at_the_last_line_appends():
    new_text, message = insert(THREE, 3, "four\nfive\n", path="a.md")
    assert new_text == "one\ntwo\nthree\nfour\nfive\n"
    assert message.startswith("Successfully inserted 2 lines after line 3.\n")
    assert message.endswith(
        "Review the changes and make sure they are as expected (correct indentation, no duplicate lines, etc). "
        "Edit the file again if necessary."
    )


def test_insert_in_the_middle():
    new_text, _ = insert(THREE, 1, "one and a half")
    assert new_text == "one\none and a half\ntwo\nthree\n"


def test_insert_keeps_a_file_without_a_final_newline_that_way():
    assert insert("a\nb", 0, "z")[0] == "z\na\nb"
    assert insert("a\nb", 2, "c")[0] == "a\nb\nc"
    assert insert("a\nb", 2, "c\n")[0] == "a\nb\nc\n"


def test_insert_into_an_empty_file():
    assert insert("", 0, "first\n")[0] == "first\n"
    assert insert("", 0, "first")[0] == "first"


def test_insert_of_a_newline_adds_a_blank_line():
    assert insert(THREE, 1, "\n")[0] == "one\n\ntwo\nthree\n"


@pytest.mark.parametrize("line", [-1, 4, 100])
def test_insert_line_outside_the_file_is_refused(line):
    with pytest.raises(EditorError) as raised:
        insert(THREE, line, "x")
    assert str(raised.value) == (
        f"Error: Invalid `insert_line` parameter: {line}. It should be within the range of lines of the file: [0, 3]"
    )


@pytest.mark.parametrize("line", [True, 1.0, "1", None])
def test_insert_line_must_be_an_integer(line):
    with pytest.raises(EditorError, match="Invalid `insert_line` parameter"):
        insert(THREE, line, "x")


def test_insert_of_nothing_is_refused():
    with pytest.raises(EditorError, match="nothing to insert"):
        insert(THREE, 1, "")


# --- text only -------------------------------------------------------------------------------------------------------


def test_decode_text_reads_utf8():
    assert decode_text("a.md", "marché\n".encode()) == "marché\n"


@pytest.mark.parametrize("data", [b"\xff\xfe\x00a", b"caf\xe9", b"PNG\x00\x01"])
def test_decode_text_refuses_what_is_not_utf8_text(data):
    with pytest.raises(EditorError, match=r"^Error: logo.png is not a UTF-8 text file \(\d+ bytes\)"):
        decode_text("logo.png", data)


# --- execute: a tool call against the workspace ----------------------------------------------------------------------


def run(params: dict, files: dict[str, str] | None = None, **kwargs) -> EditorOutcome:
    manifest, contents = workspace(files or {})
    return execute(params, manifest=manifest, read=contents.__getitem__, **kwargs)


def test_execute_view_takes_every_form_of_a_path():
    files = {"notes/a.md": "hello\n"}
    for path in ["notes/a.md", "/notes/a.md", "/workspace/notes/a.md", "./notes/x/../a.md"]:
        outcome = run({"command": "view", "path": path}, files)
        assert outcome == EditorOutcome(
            "Here's the result of running `cat -n` on notes/a.md:\n" + numbered((1, "hello")), "notes/a.md"
        )


def test_execute_view_passes_view_range_and_max_characters():
    files = {"a.md": "".join(f"l{i}\n" for i in range(1, 50))}
    outcome = run({"command": "view", "path": "a.md", "view_range": [10, 12]}, files)
    assert outcome.content.endswith(numbered((10, "l10"), (11, "l11"), (12, "l12")))
    assert "<response clipped>" in run({"command": "view", "path": "a.md"}, files, max_characters=50).content


def test_execute_view_of_the_root_and_of_a_directory():
    files = {"notes/a.md": "x", "b.md": "y"}
    for root in ["/", "", "/workspace", "/workspace/"]:
        assert run({"command": "view", "path": root}, files).content.endswith("b.md\nnotes/\nnotes/a.md\n")
    outcome = run({"command": "view", "path": "notes/"}, files)
    assert outcome.path == "notes" and outcome.new_text is None
    assert outcome.content.endswith("in notes, excluding hidden items:\nnotes/a.md\n")


def test_execute_refuses_view_range_on_a_directory():
    with pytest.raises(
        EditorError, match="The `view_range` parameter is not allowed when `path` points to a directory"
    ):
        run({"command": "view", "path": "/", "view_range": [1, 2]}, {"a.md": "x"})


@pytest.mark.parametrize(
    "params",
    [
        {"command": "create", "path": "notes", "file_text": "x"},
        {"command": "str_replace", "path": "notes", "old_str": "a", "new_str": "b"},
        {"command": "insert", "path": "/", "insert_line": 0, "insert_text": "x"},
    ],
)
def test_execute_allows_only_view_on_a_directory(params):
    with pytest.raises(EditorError, match="is a directory and only the `view` command can be used on directories"):
        run(params, {"notes/a.md": "x"})


def test_execute_create_writes_a_new_file():
    outcome = run({"command": "create", "path": "/workspace/notes/brief.md", "file_text": "# Brief\n"})
    assert outcome == EditorOutcome("File created successfully at: notes/brief.md", "notes/brief.md", "# Brief\n")


def test_execute_create_overwrites_an_existing_file():
    outcome = run({"command": "create", "path": "a.md", "file_text": "new"}, {"a.md": "old"})
    assert outcome.new_text == "new"
    assert outcome.content.startswith("File overwritten successfully at: a.md")


def test_execute_create_refuses_a_file_inside_a_file():
    with pytest.raises(EditorError, match=r"^Error: a\.md is a file, so a\.md/b\.md cannot be created inside it\.$"):
        run({"command": "create", "path": "a.md/b.md", "file_text": "x"}, {"a.md": "x"})


def test_execute_create_needs_file_text():
    with pytest.raises(EditorError, match=r"^Error: Parameter `file_text` is required for command: create$"):
        run({"command": "create", "path": "a.md"})


def test_execute_str_replace_returns_the_new_text():
    outcome = run({"command": "str_replace", "path": "a.md", "old_str": "two", "new_str": "2"}, {"a.md": THREE})
    assert outcome.new_text == "one\n2\nthree\n"
    assert outcome.content.startswith("Successfully replaced text at exactly one location.\n")
    assert "a snippet of a.md" in outcome.content


def test_execute_str_replace_without_new_str_deletes():
    outcome = run({"command": "str_replace", "path": "a.md", "old_str": "two\n"}, {"a.md": THREE})
    assert outcome.new_text == "one\nthree\n"


def test_execute_str_replace_with_two_matches_writes_nothing():
    with pytest.raises(EditorError, match="Found 2 matches"):
        run({"command": "str_replace", "path": "a.md", "old_str": "o", "new_str": "0"}, {"a.md": "o\no\n"})


def test_execute_insert_takes_insert_text_or_new_str():
    for key in ["insert_text", "new_str"]:
        outcome = run({"command": "insert", "path": "a.md", "insert_line": 3, key: "four\n"}, {"a.md": THREE})
        assert outcome.new_text == THREE + "four\n"


def test_execute_insert_needs_its_parameters():
    with pytest.raises(EditorError, match=r"^Error: Parameter `insert_line` is required for command: insert$"):
        run({"command": "insert", "path": "a.md", "insert_text": "x"}, {"a.md": THREE})
    with pytest.raises(EditorError, match=r"^Error: Parameter `insert_text` is required for command: insert$"):
        run({"command": "insert", "path": "a.md", "insert_line": 0}, {"a.md": THREE})


@pytest.mark.parametrize("command", ["view", "str_replace", "insert"])
def test_execute_on_a_missing_file_says_file_not_found(command):
    params = {"command": command, "path": "/workspace/nope.md", "old_str": "a", "insert_line": 0, "insert_text": "x"}
    with pytest.raises(EditorError, match=r"^Error: File not found: nope\.md$"):
        run(params, {"a.md": "x"})


def test_execute_refuses_a_path_that_leaves_the_workspace():
    with pytest.raises(EditorError, match=r"^Error: The path '\.\./etc/passwd' goes above the workspace root"):
        run({"command": "view", "path": "../etc/passwd"})
    with pytest.raises(EditorError, match=r"^Error: .*NUL"):
        run({"command": "create", "path": "a\x00.md", "file_text": "x"})


def test_execute_maps_an_absolute_host_path_into_the_workspace():
    outcome = run({"command": "create", "path": "/etc/passwd", "file_text": "root"})
    assert outcome.path == "etc/passwd"


def test_execute_refuses_an_unknown_command():
    with pytest.raises(EditorError) as raised:
        run({"command": "undo_edit", "path": "a.md"}, {"a.md": "x"})
    assert str(raised.value) == (
        "Error: Unrecognized command undo_edit. The allowed commands for the str_replace_based_edit_tool tool are: "
        "view, create, str_replace, insert"
    )


def test_execute_needs_a_string_path_and_string_texts():
    with pytest.raises(EditorError, match=r"^Error: Parameter `path` is required for command: view$"):
        run({"command": "view"})
    with pytest.raises(EditorError, match=r"^Error: Parameter `path` must be a string for command: view$"):
        run({"command": "view", "path": 3})
    with pytest.raises(EditorError, match=r"^Error: Parameter `new_str` must be a string for command: str_replace$"):
        run({"command": "str_replace", "path": "a.md", "old_str": "x", "new_str": 3}, {"a.md": "x"})


def test_execute_refuses_a_binary_file():
    manifest = Manifest.of([entry("logo.png", 4)])
    with pytest.raises(EditorError, match="not a UTF-8 text file"):
        execute({"command": "view", "path": "logo.png"}, manifest=manifest, read=lambda _: b"\x89PNG")
