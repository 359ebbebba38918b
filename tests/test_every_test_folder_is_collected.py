"""Every folder of tests/ that holds test files is collected by a plain `pytest` (what `make test` runs).

pytest's default `norecursedirs` silently skips folders such as `build`: this is how the SAM checks in
tests/build once went unrun. A folder left out now fails here.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"


def _skipped_by(folder: Path, patterns: list[str]) -> str | None:
    for part in folder.relative_to(ROOT).parts:
        for pattern in patterns:
            if fnmatch.fnmatch(part, pattern):
                return pattern
    return None


def test_every_folder_with_test_files_is_collected(pytestconfig: pytest.Config):
    assert pytestconfig.getini("testpaths") == ["tests"]
    patterns = pytestconfig.getini("norecursedirs")
    folders = {p.parent for p in TESTS.rglob("test_*.py") if "__pycache__" not in p.parts}
    assert TESTS / "build" in folders
    skipped = {f.relative_to(ROOT).as_posix(): _skipped_by(f, patterns) for f in sorted(folders)}
    assert {f: p for f, p in skipped.items() if p} == {}, "test folders that norecursedirs hides"


def test_the_guard_sees_what_the_default_would_hide():
    assert _skipped_by(TESTS / "build", ["build", "dist"]) == "build"
