"""SAM -> CloudFormation by samtranslator, the transform AWS itself runs (the local cloud keeps no SAM reader).

samtranslator cannot share the app's venv (its pydantic pin conflicts with the layer's), so it runs in the SAM
CLI's venv (``.venv/sam-cli``, ``make sam-setup``) as a subprocess, which costs about a second. Translations are
cached by the SHA-256 of the SAM template as parsed (so comments and formatting do not count):

1. in this process;
2. ``localcloud/stack/template.translated.json``, committed: the translation of ``template.yaml``, so that
   ``make demo`` and ``localcloud up`` on a fresh clone need neither the SAM CLI nor a subprocess. A test fails
   when it is stale; refresh it with ``python -m localcloud.stack`` after editing ``template.yaml``;
3. ``.localcloud/sam/<sha256>.json`` (untracked): whatever else this machine translated, e.g. ``template.yaml``
   while it is being edited.

A miss with no SAM CLI venv is a :class:`TemplateError` that says what to run.

samtranslator rejects a local ``CodeUri`` / ``ContentUri``, so (as ``sam validate`` does) they are replaced by
``s3://`` placeholders before translating: a function's ``Code`` then reads ``{"S3Bucket": LOCAL_CODE_BUCKET,
"S3Key": "functions/agent_step/"}`` and :func:`local_code_path` gives the folder back.

The translation takes the parameters' defaults. Parameter overrides given to the readers of this package apply
to everything CloudFormation resolves at deploy time, not to the few values SAM resolves while transforming
(e.g. an HttpApi's ``CorsConfiguration``).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from localcloud.stack.errors import TemplateError

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
COMMITTED = Path(__file__).with_name("template.translated.json")
MACHINE_CACHE = ROOT / ".localcloud" / "sam"
SAM_PYTHON = ROOT / ".venv" / "sam-cli" / "bin" / "python"
SCRIPT = Path(__file__).with_name("translate_in_sam_venv.py")
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
LOCAL_CODE_BUCKET = "localcloud-local-code"
FORMAT = 1
"""Bump when what is sent to the translator changes (the placeholders): every cached translation is then stale."""
REGION = "us-east-1"
"""The translator needs a region; its output refers to ``${AWS::Region}`` wherever the region matters."""

_translated: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()


def is_sam(template: Mapping[str, Any]) -> bool:
    transform = template.get("Transform")
    return SAM_TRANSFORM in (transform if isinstance(transform, list) else [transform])


def template_sha256(template: Mapping[str, Any]) -> str:
    canonical = json.dumps([FORMAT, template], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def cloudformation(template: Mapping[str, Any]) -> dict[str, Any]:
    """The template as CloudFormation: a SAM template translated by samtranslator (cached), any other as is.

    The result is shared between callers: read it, do not change it.
    """
    if not is_sam(template):
        return template  # type: ignore[return-value]
    sha = template_sha256(template)
    if sha in _translated:
        return _translated[sha]
    with _lock:
        if sha not in _translated:
            entry = _cached_entry(sha) or _translate_and_cache(template, sha)
            _translated[sha] = entry["cloudformation"]
    return _translated[sha]


def local_code_path(code: Any) -> str | None:
    """The local folder of a translated function's ``Code`` (or a layer's ``Content``), None if it is not local."""
    if isinstance(code, Mapping) and code.get("S3Bucket") == LOCAL_CODE_BUCKET:
        return str(code.get("S3Key", ""))
    return None


# ---------------------------------------------------------------------------------------------------------
# The caches
# ---------------------------------------------------------------------------------------------------------


def read_entry(path: Path, sha: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return entry if entry.get("sam_template_sha256") == sha and entry.get("format") == FORMAT else None


def _cached_entry(sha: str) -> dict[str, Any] | None:
    return read_entry(COMMITTED, sha) or read_entry(MACHINE_CACHE / f"{sha}.json", sha)


def write_entry(path: Path, entry: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, suffix=".tmp", delete=False) as fh:
        json.dump(entry, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    os.chmod(fh.name, 0o644)  # a committed file, readable like any other
    os.replace(fh.name, path)  # atomic: a concurrent reader sees the old file or the new one


def _translate_and_cache(template: Mapping[str, Any], sha: str) -> dict[str, Any]:
    entry = translate(template)
    with contextlib.suppress(OSError):  # a read-only checkout still works, translating once per process
        write_entry(MACHINE_CACHE / f"{sha}.json", entry)
    return entry


# ---------------------------------------------------------------------------------------------------------
# Translating
# ---------------------------------------------------------------------------------------------------------


def translate(template: Mapping[str, Any]) -> dict[str, Any]:
    """Translate now, with no cache: ``{"format", "sam_template_sha256", "samtranslator", "cloudformation"}``."""
    if not os.access(SAM_PYTHON, os.X_OK):
        raise TemplateError(
            "this SAM template has no cached CloudFormation translation (after an edit of template.yaml), and"
            f" samtranslator, which makes it, lives in the SAM CLI's venv: {SAM_PYTHON} is missing. Run"
            " `make sam-setup` once, then try again (and `python -m localcloud.stack` to commit the"
            " translation of template.yaml)."
        )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "AWS_DEFAULT_REGION": REGION,
        "PYTHONHASHSEED": "0",
    }
    proc = subprocess.run(
        [str(SAM_PYTHON), "-P", str(SCRIPT)],
        input=json.dumps(with_code_placeholders(template)),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise TemplateError(f"samtranslator rejected the template:\n{proc.stderr.strip()}")
    result = json.loads(proc.stdout)
    return {
        "format": FORMAT,
        "sam_template_sha256": template_sha256(template),
        "samtranslator": result["samtranslator"],
        "cloudformation": result["cloudformation"],
    }


def _is_local(uri: Any) -> bool:
    return isinstance(uri, str) and not uri.startswith("s3://")


def _placeholder(path: str) -> str:
    return f"s3://{LOCAL_CODE_BUCKET}/{path}"


def with_code_placeholders(template: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the SAM template whose local code folders are ``s3://`` placeholders (samtranslator wants S3)."""
    out = copy.deepcopy(dict(template))
    global_function = (out.get("Globals") or {}).get("Function") or {}
    if _is_local(global_function.get("CodeUri")):
        global_function["CodeUri"] = _placeholder(global_function["CodeUri"])
    for logical_id, resource in (out.get("Resources") or {}).items():
        props = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function" and _is_local(props.get("CodeUri")):
            props["CodeUri"] = _placeholder(props["CodeUri"])
        elif kind == "AWS::Serverless::LayerVersion" and _is_local(props.get("ContentUri")):
            props["ContentUri"] = _placeholder(props["ContentUri"])
        elif _is_local(props.get("DefinitionUri")):
            raise TemplateError(
                f"{logical_id}: a local DefinitionUri cannot be translated here; inline it as DefinitionBody"
            )
    return out
