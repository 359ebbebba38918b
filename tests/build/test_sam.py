"""The SAM CLI's own checks, as tests: validate (translator), validate --lint (cfn-lint), build, and
an import check of every built handler against the built layer.

`make test` creates `.venv/sam-cli` (aws-sam-cli) first; these tests fail, not skip, without it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import time
import tomllib
from pathlib import Path

import pytest

from localcloud.template import function_environment, functions, load_template, plan

pytestmark = pytest.mark.sam

ROOT = Path(__file__).resolve().parents[2]
SAM = ROOT / ".venv" / "sam-cli" / "bin" / "sam"
TEMPLATE = load_template(ROOT / "template.yaml")
FUNCTIONS = sorted(functions(TEMPLATE))
LAYER_REQUIREMENTS = ROOT / "layers" / "cofounder" / "requirements.txt"
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def _sam_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        SAM_CLI_TELEMETRY="0",
        # `sam build` finds python3.13 through pyenv (also via /work/main/.python-version).
        PYENV_VERSION="3.13.0:3.11.7",
    )
    env.pop("AWS_ENDPOINT_URL", None)  # validate must not talk to a local emulator
    return env


def _sam(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    if not os.access(SAM, os.X_OK):
        pytest.fail(f"{SAM.relative_to(ROOT)} is missing: run `make sam-setup` (`make test` does it first)")
    proc = subprocess.run(
        [str(SAM), *args], cwd=ROOT, env=_sam_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    assert proc.returncode == 0, f"sam {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


# ------------------------------------------------------------------------------------------------------
# validate
# ------------------------------------------------------------------------------------------------------


def test_sam_validate() -> None:
    proc = _sam("validate")
    assert "is a valid SAM Template" in proc.stdout + proc.stderr


def test_sam_validate_lint() -> None:
    # cfn-lint reports warnings as well as errors, and any finding fails the command.
    proc = _sam("validate", "--lint")
    assert "is a valid SAM Template" in proc.stdout + proc.stderr


def test_samconfig_keeps_the_translator_check() -> None:
    # `lint = true` under validate silently replaces the translator check: both must run.
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for env in config.values():
        if isinstance(env, dict):
            params = env.get("validate", {}).get("parameters", {})
            assert not params.get("lint"), "samconfig.toml must not set lint = true for validate"
    assert config["default"]["global"]["parameters"]["stack_name"] == "cofounder"


# ------------------------------------------------------------------------------------------------------
# build
# ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `sam build` per session (~12 s): no cache, so it checks a clean build; nothing lands in the repo."""
    build = tmp_path_factory.mktemp("sam") / "build"
    started = time.monotonic()
    _sam("build", "--no-cached", "--build-dir", str(build), timeout=600)
    print(f"sam build took {time.monotonic() - started:.1f}s")
    return build


def _layer_python(build_dir: Path) -> Path:
    return build_dir / "CofounderLayer" / "python"


def test_build_covers_every_function_of_the_template(build_dir: Path) -> None:
    # DESIGN.md: one folder per function (functions/<name>/app.py), and every folder is a function of the template;
    # the import checks below run over every one of them.
    code_uris = sorted(functions(TEMPLATE)[logical_id].code_uri.rstrip("/") for logical_id in FUNCTIONS)
    folders = sorted(str(app.parent.relative_to(ROOT)) for app in (ROOT / "functions").glob("*/app.py"))
    assert code_uris == folders, "each folder of functions/ must be the CodeUri of exactly one function"
    for logical_id in FUNCTIONS:
        source = ROOT / functions(TEMPLATE)[logical_id].code_uri / "app.py"
        assert source.is_file(), f"{logical_id}: {source.relative_to(ROOT)} is missing"
        assert (build_dir / logical_id / "app.py").is_file(), f"{logical_id} was not built"
    built = load_template(build_dir / "template.yaml")
    for logical_id in FUNCTIONS:
        assert built["Resources"][logical_id]["Properties"]["CodeUri"] == logical_id


def test_built_layer_layout(build_dir: Path) -> None:
    layer = _layer_python(build_dir)
    assert (layer / "cofounder" / "__init__.py").is_file(), "the package must land at /opt/python/cofounder"
    assert not (layer / "python").exists(), "a python/ folder in ContentUri lands at /opt/python/python/..."
    assert not (layer / "cofounder" / "cofounder").exists()
    source = ROOT / "layers" / "cofounder" / "cofounder"
    wanted = {p.relative_to(source) for p in source.rglob("*.py") if "__pycache__" not in p.parts}
    built = {p.relative_to(layer / "cofounder") for p in (layer / "cofounder").rglob("*.py")}
    assert wanted <= built, f"modules missing from the built layer: {sorted(map(str, wanted - built))}"


def _requirements() -> list[tuple[str, str | None]]:
    reqs = []
    for line in LAYER_REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:==\s*([^\s;]+))?", line)
        assert match, f"cannot parse requirement {line!r}"
        reqs.append((match.group(1), match.group(2)))
    return reqs


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_built_layer_has_every_requirement(build_dir: Path) -> None:
    layer = _layer_python(build_dir)
    installed = {}
    for dist_info in layer.glob("*.dist-info"):
        name, _, version = dist_info.name.removesuffix(".dist-info").partition("-")
        installed[_canonical(name)] = version
    for name, pinned in _requirements():
        assert _canonical(name) in installed, f"{name} has no .dist-info in the built layer"
        if pinned:
            assert installed[_canonical(name)] == pinned, (
                f"{name}: built {installed[_canonical(name)]}, pinned {pinned}"
            )


def test_built_artifacts_fit_lambda_limits(build_dir: Path) -> None:
    def size(path: Path) -> int:
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())

    layer = size(build_dir / "CofounderLayer")
    for logical_id in FUNCTIONS:
        total = layer + size(build_dir / logical_id)
        assert total < LAMBDA_UNZIPPED_LIMIT, f"{logical_id} + layer: {total / 2**20:.0f} MB unzipped"


# ------------------------------------------------------------------------------------------------------
# every built handler imports with the built layer
# ------------------------------------------------------------------------------------------------------

ELF_MACHINE_OFFSET = 18


def _elf_machine(path: Path) -> int | None:
    with open(path, "rb") as fh:
        head = fh.read(20)
    if head[:4] != b"\x7fELF":
        return None
    return int.from_bytes(head[ELF_MACHINE_OFFSET:20], "little" if head[5] == 1 else "big")


HOST_MACHINE = _elf_machine(Path(sys.executable).resolve())
DEV_SITE = Path(sysconfig.get_paths()["purelib"])
# What the Lambda python3.13 runtime ships besides the standard library (it sits after /opt/python).
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


def _is_shared_object(name: str) -> bool:
    return name.endswith(".so") or ".so." in name


def _foreign(entry: Path) -> bool:
    """True if the layer entry holds a shared object this machine cannot load (sam built it for aarch64)."""
    candidates = [entry] if entry.is_file() else entry.rglob("*")
    return any(
        p.is_file() and _is_shared_object(p.name) and _elf_machine(p) not in (None, HOST_MACHINE) for p in candidates
    )


def _host_counterparts(entry: Path) -> list[Path]:
    if entry.is_dir():
        return [DEV_SITE / entry.name] if (DEV_SITE / entry.name).is_dir() else []
    module = entry.name.split(".", 1)[0]
    return [p for p in DEV_SITE.glob(f"{module}.*so") if _elf_machine(p) == HOST_MACHINE]


@pytest.fixture(scope="module")
def import_path(build_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    """(layer overlay, runtime dir, substituted entries) for importing built handlers on this machine.

    `sam build` cross-resolves aarch64 wheels, so the layer's native extensions (pydantic_core, jiter,
    cryptography, _cffi_backend) cannot load on this x86_64 machine, and putting the dev venv after the layer
    does not help: the layer's package directory shadows the dev one. So the overlay is a directory of
    symlinks to every entry of the BUILT layer (the cofounder package and every pure-Python dependency),
    except entries holding foreign-architecture shared objects, which link to the same-version package of
    the dev venv (both install layers/cofounder/requirements.txt). The interpreter runs with -S (no
    site-packages), so nothing else leaks in: a dependency missing from the layer fails the import, as it
    would on Lambda. The runtime dir stands for boto3 & co, which the Lambda runtime provides.
    """
    layer = _layer_python(build_dir)
    root = tmp_path_factory.mktemp("import-path")
    overlay, runtime = root / "layer", root / "runtime"
    overlay.mkdir()
    runtime.mkdir()
    substituted = []
    for entry in sorted(layer.iterdir()):
        if not _foreign(entry):
            (overlay / entry.name).symlink_to(entry)
            continue
        counterparts = _host_counterparts(entry)
        assert counterparts, f"{entry.name}: native code for another machine and no host build in {DEV_SITE}"
        for counterpart in counterparts:
            (overlay / counterpart.name).symlink_to(counterpart)
        substituted.append(entry.name)
    for name in LAMBDA_RUNTIME_PACKAGES:
        if not (layer / name).exists() and (DEV_SITE / name).exists():
            (runtime / name).symlink_to(DEV_SITE / name)
    return overlay, runtime, substituted


IMPORT_CHECK = """
import json, sys
import app
assert callable(app.lambda_handler), "app.lambda_handler is not callable"
import cofounder
files = sorted(
    f for f in (getattr(m, "__file__", None) for m in list(sys.modules.values())) if isinstance(f, str)
)
print(json.dumps({
    "app": app.__file__,
    "cofounder": cofounder.__file__,
    "anthropic_loaded": "anthropic" in sys.modules,
    "files": files,
}))
"""


@pytest.fixture(scope="module")
def imported(build_dir: Path, import_path: tuple[Path, Path, list[str]]) -> dict[str, dict]:
    """Per function: what a fresh interpreter saw importing the built handler (or the failure)."""
    overlay, runtime, _ = import_path
    resources = plan(TEMPLATE)
    results = {}
    for logical_id in FUNCTIONS:
        code = build_dir / logical_id
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join(map(str, (code, overlay, runtime))),
            "PYTHONDONTWRITEBYTECODE": "1",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            # nothing listens there: an AWS call at import time fails fast instead of reaching out
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_LAMBDA_FUNCTION_NAME": resources.ref(logical_id),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(functions(TEMPLATE)[logical_id].memory_size),
            "LAMBDA_TASK_ROOT": str(code),
            "_HANDLER": functions(TEMPLATE)[logical_id].handler,
            **function_environment(TEMPLATE, logical_id, resources),
        }
        proc = subprocess.run(
            [sys.executable, "-S", "-c", IMPORT_CHECK],
            cwd=code,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if proc.returncode != 0:
            results[logical_id] = {"error": f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"}
        else:
            results[logical_id] = json.loads(proc.stdout.strip().splitlines()[-1])
    return results


def test_import_overlay_only_substitutes_native_code(import_path: tuple[Path, Path, list[str]]) -> None:
    _, _, substituted = import_path
    assert "cofounder" not in substituted
    assert all(not name.endswith(".dist-info") for name in substituted), substituted


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_built_handler_imports_with_the_built_layer(logical_id: str, build_dir: Path, imported: dict) -> None:
    result = imported[logical_id]
    assert "error" not in result, f"{logical_id}: importing the built handler failed: {result.get('error')}"
    layer = _layer_python(build_dir).resolve()
    assert Path(result["app"]).resolve() == (build_dir / logical_id / "app.py").resolve()
    cofounder = Path(result["cofounder"]).resolve()
    assert cofounder == layer / "cofounder" / "__init__.py", f"cofounder imported from {cofounder}"
    sources = [ROOT / "layers", ROOT / "functions"]
    leaked = [f for f in result["files"] if any(Path(f).resolve().is_relative_to(s) for s in sources)]
    assert not leaked, f"modules imported from the source tree instead of the build: {leaked}"


@pytest.mark.parametrize("logical_id", [f for f in FUNCTIONS if f != "AgentStepFunction"])
def test_only_the_agent_step_imports_anthropic(logical_id: str, imported: dict) -> None:
    # `import anthropic` costs ~1.2 s of cold start: only the agent step may pay it.
    result = imported[logical_id]
    assert "error" not in result, result.get("error")
    assert not result["anthropic_loaded"], f"{logical_id} imports the Anthropic SDK"
