"""Loading a function's handler from its CodeUri in-process (each function folder holds an `app.py`)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_loaded: dict[tuple[Path, str], Callable[..., Any]] = {}


def load_handler(code_uri: str | Path, handler: str = "app.lambda_handler") -> Callable[..., Any]:
    """The handler callable; modules get unique names, since every function's module is called `app`."""
    folder = (ROOT / code_uri).resolve()
    module_name, _, attribute = handler.rpartition(".")
    key = (folder, handler)
    if key not in _loaded:
        path = folder / f"{module_name.replace('.', '/')}.py"
        unique = f"_fn_{folder.name}_{module_name.replace('.', '_')}"
        spec = importlib.util.spec_from_file_location(unique, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load handler module {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module
        spec.loader.exec_module(module)
        _loaded[key] = getattr(module, attribute)
    return _loaded[key]
