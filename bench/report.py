"""The figures' targets, the stdout / RESULTS.md table and results.json."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Figure:
    key: str
    what: str
    target: str = "record it"
    check: Callable[[float], bool] | None = None
    unit: str = ""


def _le(limit: float) -> Callable[[float], bool]:
    return lambda value: value <= limit


def _ge(limit: float) -> Callable[[float], bool]:
    return lambda value: value >= limit


FIGURES: tuple[Figure, ...] = (
    Figure("aws_calls_per_step", "boto3 API calls in one plain step (with the step journal)", "≤ 5", _le(5)),
    Figure("redis_roundtrips_per_step", "Redis round trips in that step", "≤ 2", _le(2)),
    Figure("step_overhead_ms_p50", "step wall time minus its model call, p50", unit="ms"),
    Figure("step_overhead_ms_p99", "step wall time minus its model call, p99", unit="ms"),
    Figure("io_floor_ms", "AWS calls x GetItem p50 + Redis round trips x PING p50", unit="ms"),
    Figure("step_overhead_ratio", "step overhead p50 / I/O floor", "≤ 1.5", _le(1.5)),
    Figure("import_ms_http_api", "import of the http_api handler (median of 7)", "—", unit="ms"),
    Figure("import_ms_websocket", "import of the websocket handler", "—", unit="ms"),
    Figure("import_ms_wake", "import of the wake handler", "—", unit="ms"),
    Figure("import_ms_agent_step", "import of the agent_step handler", "—", unit="ms"),
    Figure("import_ms_baseline_sdk", "import boto3, redis, aws_lambda_powertools", "—", unit="ms"),
    Figure("import_ms_baseline_sdk_anthropic", "the same plus anthropic", "—", unit="ms"),
    Figure("import_ratio_http_api", "http_api / SDK baseline", "≤ 1.3", _le(1.3)),
    Figure("import_ratio_websocket", "websocket / SDK baseline", "≤ 1.3", _le(1.3)),
    Figure("import_ratio_wake", "wake / SDK baseline", "≤ 1.3", _le(1.3)),
    Figure("import_overhead_ms_agent_step", "agent_step - SDK-with-anthropic baseline", "≤ 50", _le(50), "ms"),
    Figure("push_latency_ms_p50", "publish → received by a WebSocket client, p50 (500 events)", "≤ 5", _le(5), "ms"),
    Figure("push_latency_ms_p99", "publish → received, p99", "≤ 20", _le(20), "ms"),
    Figure("fanout_1000_ms", "one event to 1,000 subscribed connections, until the last has it", "≤ 1000",
           _le(1000), "ms"),
    Figure("concurrent_jobs_steps_per_s", "100 jobs x 10 steps through queue + poller, all completed", unit="/s"),
    Figure("concurrent_jobs_lost_events", "events in the logs a subscriber never received", "0", _le(0)),
    Figure("concurrent_jobs_duplicate_events", "events a subscriber received twice", "0", _le(0)),
    Figure("cache_read_share_20_steps", "input tokens billed as cache reads, 20-step session", "≥ 0.8", _ge(0.8)),
    Figure("cost_ratio_cached_vs_uncached", "session cost / the same without caching", "≤ 0.35", _le(0.35)),
    Figure("localcloud_ready_s", "python -m localcloud up → localcloud ready (median of 5)", "≤ 3", _le(3), "s"),
    Figure("invoke_ms_p50", "warm in-process invoke of the http_api status event", unit="ms"),
    Figure("budget_overshoot_usd", "20 jobs of one founder vs one daily budget: spend beyond it", "0", _le(0), "$"),
)
KEYS = tuple(f.key for f in FIGURES)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.machine()}"
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()} ({system})"


def fmt(value: float) -> str:
    if value != value:  # NaN: not measured
        return "n/a"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def mark(figure: Figure, value: float | None) -> str:
    if value is None or value != value:
        return "not measured"
    if figure.check is None:
        return ""
    return "pass" if figure.check(value) else "MISS"


def rows(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    out = []
    for figure in FIGURES:
        value = results.get(figure.key)
        if value is None or value != value:
            shown = "n/a"
        elif figure.unit == "$":
            shown = f"${fmt(value)}"
        else:
            shown = fmt(value) + (f" {figure.unit}" if figure.unit else "")
        out.append((figure.key, figure.target, shown, mark(figure, value)))
    return out


def table_text(results: dict[str, Any]) -> str:
    body = rows(results)
    widths = [max(len(r[i]) for r in [("figure", "target", "measured", ""), *body]) for i in range(4)]
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(("figure", "target", "measured", ""), widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(lines)


def table_markdown(results: dict[str, Any], *, with_what: bool = True) -> str:
    what = {f.key: f.what for f in FIGURES}
    head = "| figure | what | target | measured | |" if with_what else "| figure | target | measured | |"
    lines = [head, "| --- | --- | --- | --- | --- |" if with_what else "| --- | --- | --- | --- |"]
    for k, t, m, p in rows(results):
        verdict = "pass" if p == "pass" else "**miss**" if p == "MISS" else p
        cells = [f"`{k}`", what[k], t, m, verdict] if with_what else [f"`{k}`", t, m, verdict]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def results_markdown(results: dict[str, Any], details: dict[str, Any]) -> str:
    misses = [k for k, _, _, p in rows(results) if p == "MISS"]
    parts = [
        "# Benchmark results",
        "",
        f"Machine: {results['machine']}  ",
        f"Run: {results['timestamp']} (`make bench`; medians and p99 over the repetitions named in "
        "`bench/report.py`, ratios from the same run)",
        "",
        table_markdown(results),
        "",
        f"Missed targets: {', '.join(f'`{m}`' for m in misses) if misses else 'none'}.",
        "",
        *[f"Group `{name}` did not finish: {why}." for name, why in details.get("crashed", {}).items()],
        "",
        "## Details",
        "",
        "```json",
        json.dumps(details, indent=2, default=str),
        "```",
        "",
    ]
    return "\n".join(parts)


def write(results: dict[str, Any], details: dict[str, Any], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    # numbers only: a figure that could not be measured (its group crashed) is null, never NaN
    clean = {k: (None if isinstance(v, float) and v != v else v) for k, v in results.items()}
    (directory / "results.json").write_text(json.dumps(clean, indent=2, allow_nan=False) + "\n")
    (directory / "RESULTS.md").write_text(results_markdown(results, details))
