import pytest
from hypothesis import given
from hypothesis import strategies as st

from cofounder.domain.workspace import (
    MAX_NAME_BYTES,
    MAX_PATH_BYTES,
    FileEntry,
    Limits,
    Manifest,
    WorkspaceError,
    WorkspaceLimitExceeded,
    check_change,
    display,
    normalize,
    normalize_file,
)

NOW = "2026-11-25T17:00:00Z"


def entry(path: str, size: int = 10, step: int = 1) -> FileEntry:
    return FileEntry(path=path, sha256="0" * 64, size=size, step=step, updated_at=NOW)


def manifest(*paths: str, size: int = 10) -> Manifest:
    return Manifest.of(entry(path, size) for path in paths)


# --- path rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_path", "canonical"),
    [
        ("a.md", "a.md"),
        ("notes/brief.md", "notes/brief.md"),
        ("/etc/passwd", "etc/passwd"),
        ("/workspace/a.md", "a.md"),
        ("/workspace/notes/a.md", "notes/a.md"),
        ("/workspace", ""),
        ("/workspace/", ""),
        ("/", ""),
        ("", ""),
        (".", ""),
        ("./a.md", "a.md"),
        ("a/./b", "a/b"),
        ("a/b/../c", "a/c"),
        ("a/..", ""),
        ("src/", "src"),
        ("workspace/a.md", "workspace/a.md"),
        ("/workspacefoo/a", "workspacefoo/a"),
        ("/workspace/workspace/a", "workspace/a"),
        ("..a/b..", "..a/b.."),
        ("marché/été.md", "marché/été.md"),
        ("a b/c d.txt", "a b/c d.txt"),
    ],
)
def test_normalize_maps_what_the_model_writes_onto_the_canonical_path(given_path, canonical):
    assert normalize(given_path) == canonical


@pytest.mark.parametrize(
    "escaping",
    ["..", "../a", "/..", "/../etc/passwd", "a/../..", "a/../../b", "/workspace/..", "/workspace/../etc", "./.."],
)
def test_a_path_that_leaves_the_root_is_refused(escaping):
    with pytest.raises(WorkspaceError, match="goes above the workspace root"):
        normalize(escaping)


def test_nul_is_refused():
    with pytest.raises(WorkspaceError, match="NUL"):
        normalize("a\x00.md")


@pytest.mark.parametrize("char", ["\n", "\r", "\t", "\x1b", "\x7f", "\x85"])
def test_control_characters_are_refused(char):
    with pytest.raises(WorkspaceError, match="control character U\\+"):
        normalize(f"a{char}b.md")


def test_text_direction_characters_are_refused():
    with pytest.raises(WorkspaceError, match="text-direction"):
        normalize("invoice\u202egpj.exe")


def test_a_backslash_is_refused():
    with pytest.raises(WorkspaceError, match="backslash"):
        normalize("..\\..\\windows")


@pytest.mark.parametrize("path", ["a//b", "//a", "a//", "/workspace//a"])
def test_empty_names_are_refused(path):
    with pytest.raises(WorkspaceError, match="empty name"):
        normalize(path)


def test_names_up_to_255_bytes_pass_and_longer_ones_are_refused():
    assert normalize("a" * MAX_NAME_BYTES) == "a" * MAX_NAME_BYTES
    with pytest.raises(WorkspaceError, match="at most 255 bytes"):
        normalize("a" * (MAX_NAME_BYTES + 1))
    # Bytes, not characters: 128 two-byte characters are 256 bytes.
    with pytest.raises(WorkspaceError, match="256 bytes long"):
        normalize("é" * 128)


def test_paths_up_to_1024_bytes_pass_and_longer_ones_are_refused():
    folder = "d" * 200
    at_limit = "/".join([folder] * 5) + "/" + "f" * (MAX_PATH_BYTES - 5 * 201)
    assert len(at_limit.encode()) == MAX_PATH_BYTES
    assert normalize(at_limit) == at_limit
    with pytest.raises(WorkspaceError, match="at most 1024 bytes"):
        normalize(at_limit + "x")
    # Measured once normalized: the /workspace prefix does not count.
    assert normalize("/workspace/" + at_limit) == at_limit


def test_an_overlong_path_is_not_echoed_whole():
    with pytest.raises(WorkspaceError) as raised:
        normalize("a" * 5000)
    assert len(str(raised.value)) < 300


@pytest.mark.parametrize("not_text", [None, 3, b"a.md", ["a.md"]])
def test_a_path_must_be_a_string(not_text):
    with pytest.raises(WorkspaceError, match="must be a string"):
        normalize(not_text)


def test_a_lone_surrogate_is_refused():
    with pytest.raises(WorkspaceError, match="not valid Unicode"):
        normalize("a\udc80.md")


def test_normalize_file_refuses_the_root():
    assert normalize_file("/workspace/a.md") == "a.md"
    for root in ["", "/", "/workspace", "a/.."]:
        with pytest.raises(WorkspaceError, match="workspace root, which is a directory"):
            normalize_file(root)


def test_display_shows_the_root_as_a_slash():
    assert display("") == "/"
    assert display("a/b.md") == "a/b.md"


@given(st.lists(st.sampled_from(["a", "b", ".", "..", "/", "é", "\x00", "\n", "workspace"]), max_size=20).map("".join))
def test_normalize_returns_a_canonical_path_or_refuses(path):
    try:
        canonical = normalize(path)
    except WorkspaceError:
        return
    assert not canonical.startswith("/")
    names = canonical.split("/") if canonical else []
    assert all(name not in ("", ".", "..") for name in names)
    assert "\x00" not in canonical and "\n" not in canonical
    assert normalize(canonical) == canonical


# --- limits -------------------------------------------------------------------------------------------------


def test_limits_have_defaults():
    limits = Limits()
    assert limits.max_file_bytes == 1024 * 1024
    assert limits.max_files == 500
    assert limits.max_workspace_bytes == 50 * 1024 * 1024
    assert limits.max_files_per_step == 20


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_limits_must_be_positive_integers(bad):
    with pytest.raises(ValueError, match="max_files must be a positive integer"):
        Limits(max_files=bad)


def test_a_change_within_every_limit_passes():
    limits = Limits(max_file_bytes=100, max_files=3, max_workspace_bytes=250, max_files_per_step=2)
    check_change(manifest("a.md", size=50), {"b.md": 100, "c.md": 100}, limits)


def test_too_many_files_changed_in_one_step_is_refused():
    limits = Limits(max_files_per_step=2)
    with pytest.raises(WorkspaceLimitExceeded, match=r"max_files_per_step") as raised:
        check_change(Manifest(), {"a": 1, "b": 1, "c": None}, limits)
    assert raised.value.limit == "max_files_per_step"
    assert "3 files" in str(raised.value)


def test_a_file_over_the_per_file_limit_is_refused():
    limits = Limits(max_file_bytes=100)
    check_change(Manifest(), {"a.md": 100}, limits)
    with pytest.raises(WorkspaceLimitExceeded, match=r"a\.md would be 101 bytes.*at most 100 bytes \(max_file_bytes\)"):
        check_change(Manifest(), {"a.md": 101}, limits)


def test_a_file_count_over_the_limit_is_refused():
    limits = Limits(max_files=2)
    check_change(manifest("a"), {"b": 1}, limits)
    check_change(manifest("a", "b"), {"a": 5}, limits)
    with pytest.raises(WorkspaceLimitExceeded, match=r"3 files.*at most 2 \(max_files\)") as raised:
        check_change(manifest("a", "b"), {"c": 1}, limits)
    assert raised.value.limit == "max_files"


def test_a_workspace_total_over_the_limit_is_refused():
    limits = Limits(max_workspace_bytes=100)
    check_change(manifest("a", size=60), {"b": 40}, limits)
    with pytest.raises(WorkspaceLimitExceeded, match=r"101 bytes.*at most 100 bytes \(max_workspace_bytes\)") as raised:
        check_change(manifest("a", size=60), {"b": 41}, limits)
    assert raised.value.limit == "max_workspace_bytes"


def test_a_workspace_already_over_its_limits_may_still_shrink():
    over = manifest("a", "b", "c", size=50)
    limits = Limits(max_files=2, max_workspace_bytes=100)
    check_change(over, {"c": None}, limits)
    check_change(over, {"c": 10}, limits)
    with pytest.raises(WorkspaceLimitExceeded, match="max_workspace_bytes"):
        check_change(over, {"c": 51}, limits)
    with pytest.raises(WorkspaceLimitExceeded, match="max_files"):
        check_change(over, {"d": 1}, limits)


def test_a_file_cannot_be_created_inside_a_file():
    with pytest.raises(WorkspaceError, match=r"a\.md is a file, so a\.md/x cannot be created inside it"):
        check_change(manifest("a.md"), {"a.md/x": 1}, Limits())


def test_a_file_cannot_take_the_place_of_a_directory():
    with pytest.raises(WorkspaceError, match="notes is a directory"):
        check_change(manifest("notes/a.md"), {"notes": 1}, Limits())


def test_a_file_replaced_by_a_directory_in_one_change_is_fine():
    check_change(manifest("a.md"), {"a.md": None, "a.md/x": 1}, Limits())


# --- manifest -----------------------------------------------------------------------------------------------


def test_listing_shows_direct_children_sorted_with_folders_marked():
    files = manifest("b.md", "a.md", "notes/x.md", "notes/deep/y.md", ".hidden/z", "a/q.py")
    assert files.listing() == [".hidden/", "a.md", "a/", "b.md", "notes/"]
    assert files.listing("notes") == ["deep/", "x.md"]
    assert files.listing("notes/deep") == ["y.md"]


def test_listing_two_levels_deep_without_hidden_items():
    files = manifest("notes/x.md", "notes/deep/y.md", "notes/.cache/z", ".git/config", "top.md")
    assert files.listing(depth=2, include_hidden=False) == ["notes/", "notes/deep/", "notes/x.md", "top.md"]


def test_listing_of_an_empty_workspace_is_empty():
    assert Manifest().listing() == []


def test_listing_refuses_what_is_not_a_directory():
    files = manifest("a.md")
    with pytest.raises(WorkspaceError, match=r"a\.md is a file, not a directory"):
        files.listing("a.md")
    with pytest.raises(WorkspaceError, match="no directory missing"):
        files.listing("missing")


def test_manifest_answers_what_is_a_file_and_what_a_directory():
    files = manifest("notes/deep/y.md", "a.md")
    assert files.is_dir("") and files.is_dir("notes") and files.is_dir("notes/deep")
    assert not files.is_dir("a.md") and not files.is_dir("note")
    assert files.is_file("a.md") and not files.is_file("notes")
    assert "a.md" in files and "notes" not in files
    assert files.file_above("a.md/x/y") == "a.md"
    assert files.file_above("notes/new.md") is None
    assert len(files) == 2
    assert [e.path for e in files] == ["a.md", "notes/deep/y.md"]
    assert files.total_bytes == 20
    assert files.get("a.md") == entry("a.md")
    assert files.get("nope") is None


def test_apply_adds_replaces_and_deletes_without_touching_the_original():
    before = manifest("a.md", "b.md")
    after = before.apply({"a.md": entry("a.md", size=99, step=2), "b.md": None, "c.md": entry("c.md")})
    assert sorted(after.files) == ["a.md", "c.md"]
    assert after.files["a.md"].size == 99
    assert sorted(before.files) == ["a.md", "b.md"]


def test_manifest_round_trips_through_a_dict():
    files = manifest("notes/a.md", "b.md")
    data = files.to_dict()
    assert data["b.md"] == {"sha256": "0" * 64, "size": 10, "step": 1, "updated_at": NOW}
    assert Manifest.from_dict(data) == files


def test_manifest_keys_must_match_their_entries():
    with pytest.raises(ValueError, match="holds the entry of"):
        Manifest({"a.md": entry("b.md")})


def test_manifest_is_not_changed_through_the_mapping_it_was_given():
    given_files = {"a.md": entry("a.md")}
    files = Manifest(given_files)
    given_files["b.md"] = entry("b.md")
    assert "b.md" not in files
    with pytest.raises(TypeError):
        files.files["c.md"] = entry("c.md")  # type: ignore[index]
