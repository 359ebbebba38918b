"""Loading a function's handler from its CodeUri in-process (each function folder holds an `app.py`)."""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_loaded: dict[tuple[Path, str], Callable[..., Any]] = {}
_locks: defaultdict[tuple[Path, str], threading.Lock] = defaultdict(threading.Lock)
"""One per handler: two threads' first invocations must not run its module twice (nor wait on another's)."""


def load_handler(code_uri: str | Path, handler: str = "app.lambda_handler") -> Callable[..., Any]:
    """The handler callable; modules get unique names, since every function's module is called `app`."""
    folder = (ROOT / code_uri).resolve()
    key = (folder, handler)
    if key in _loaded:
        return _loaded[key]
    with _locks[key]:
        if key not in _loaded:
            _loaded[key] = _import(folder, handler)
    return _loaded[key]


def _import(folder: Path, handler: str) -> Callable[..., Any]:
    module_name, _, attribute = handler.rpartition(".")
    path = folder / f"{module_name.replace('.', '/')}.py"
    unique = f"_fn_{folder.name}_{module_name.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(unique, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load handler module {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    spec.loader.exec_module(module)
    return getattr(module, attribute)


class LazyHandler:
    """A handler imported on its first invocation, like a Lambda function's cold start (or by `warm()`)."""

    def __init__(self, code_uri: str | Path, handler: str = "app.lambda_handler") -> None:
        self.code_uri, self.handler = code_uri, handler

    def warm(self) -> Callable[..., Any]:
        return load_handler(self.code_uri, self.handler)

    def __call__(self, event: Any, context: Any) -> Any:
        return self.warm()(event, context)
