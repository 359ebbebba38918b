"""`make demo`: a whole agent session on the local cloud, narrated live from the WebSocket stream."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

from cofounder.domain.budget import WAKE_SPREAD_S
from localcloud.cloud import LocalCloud, Ports
from localcloud.redis_choice import free_port
from localcloud.settings import local_token

GOAL = "Validate demand for a B2B invoicing tool for small agencies"
BUDGET_USD = 1.0
TIME_LIMIT_S = 55
BAR = 30


class Narrator:
    def __init__(self, stream: Any = sys.stdout) -> None:
        self.out = stream
        self.color = stream.isatty()

    def _c(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def title(self, text: str) -> None:
        self.say(self._c("1", text))

    def state(self, state: str) -> None:
        colors = {"working": "32", "sleeping": "34", "waiting_for_input": "33", "completed": "1;32", "error": "31"}
        self.say(f"  state  {self._c(colors.get(state, '0'), state)}")

    def budget(self, pct: int) -> None:
        filled = round(BAR * pct / 100)
        bar = "#" * filled + "." * (BAR - filled)
        self.say(f"  budget [{self._c('33' if pct >= 90 else '32', bar)}] {pct:3d}%")

    def step(self, event: dict[str, Any]) -> None:
        cache = event.get("cache_read_input_tokens") or 0
        prompt = event["input_tokens"] + (event.get("cache_creation_input_tokens") or 0) + cache
        tokens = f"{prompt:,} in / {event['output_tokens']:,} out"
        cached = f" ({cache:,} read from the prompt cache)" if cache else ""
        self.say(f"  step {event['step']}: {tokens}{cached}, ${event['cost_usd']:.4f}")
        for call in event.get("tool_calls", []):
            self.say(f"    -> {call['name']}({_brief(call['input'])})" + ("  [error]" if call["is_error"] else ""))
        for item in event.get("plan") or []:
            self.say(f"       - {item}")

    def escalation(self, event: dict[str, Any]) -> None:
        self.title("  The agent needs you")
        self.say(f"    problem:     {event['problem']}")
        self.say(f"    tried:       {event['tried']}")
        self.say(f"    recommended: {event['recommended_action']}")


def _brief(value: Any, width: int = 90) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= width else text[: width - 1] + "…"


def run_demo(scenario: Path | None = None, *, interactive: bool = False, stream: Any = sys.stdout) -> int:
    ports = Ports(http=free_port(), ws=free_port(), aws=free_port(), model=free_port())
    n = Narrator(stream)
    n.title("Cofounder demo: an AI co-founder on a Docker-free local cloud")
    started = time.monotonic()
    with LocalCloud(ports=ports, scenario=scenario) as cloud:
        n.say(f"  local cloud up in {time.monotonic() - started:.1f}s: moto, {cloud.redis.describe()}, model emulator")
        founder = local_token("demo-founder")
        api = httpx.Client(base_url=f"http://127.0.0.1:{ports.http}", headers={"Authorization": f"Bearer {founder}"})
        with api, connect(f"ws://127.0.0.1:{ports.ws}?token={founder}") as ws:
            created = api.post("/api/jobs", json={"goal": GOAL, "daily_budget_usd": BUDGET_USD})
            created.raise_for_status()
            job = created.json()
            n.say(f"  goal   {GOAL}")
            n.say(f"  job    {job['job_id']}  (daily budget ${BUDGET_USD:.2f})")
            ws.send(json.dumps({"action": "subscribe", "job_id": job["job_id"], "after": 0}))
            return _follow(n, api, ws, job, interactive, started)


def _follow(n: Narrator, api: httpx.Client, ws: Any, job: dict, interactive: bool, started: float) -> int:
    while True:
        remaining = TIME_LIMIT_S - (time.monotonic() - started)
        if remaining <= 0:
            n.say("  the demo took too long: stopping")
            return 1
        try:
            event = json.loads(ws.recv(timeout=remaining))
        except TimeoutError:
            continue
        kind = event.get("type")
        if kind == "agent.state_changed":
            n.state(event["state"])
        elif kind == "agent.budget_updated":
            n.budget(event["budget_pct"])
        elif kind == "agent.step_completed":
            n.step(event)
        elif kind == "agent.escalation_raised":
            n.escalation(event)
            decision = _decide(n, event, interactive)
            answer = api.post(f"/api/escalations/{event['escalation_id']}/resolve", json={"decision": decision})
            answer.raise_for_status()
        elif kind == "agent.escalation_resolved":
            n.say(f"  founder decided: {event['resolution']}")
        elif kind == "agent.sleeping":
            _sleep_and_travel(n, api, job, event["wake_at"])
        elif kind == "agent.woke":
            n.say("  woke up: a new budget day")
            n.budget(event["budget_pct"])
        elif kind == "agent.completed":
            n.title("  Done")
            n.say(f"    {event['summary']}")
            status = api.get(f"/api/jobs/{job['job_id']}/status").json()
            n.say(
                f"  {status['steps']} model calls, ${status['cost_usd']:.4f} in all, "
                f"{time.monotonic() - started:.1f}s of wall time"
            )
            return 0
        elif kind == "agent.error":
            n.say(f"  the agent failed: {event['message']}")
            return 1
        elif kind == "error":
            n.say(f"  the API said: {event['message']}")
            return 1


def _decide(n: Narrator, event: dict[str, Any], interactive: bool) -> str:
    recommended = event["recommended_action"]
    if interactive:
        typed = input("  your decision (Enter accepts the recommendation): ").strip()
        return typed or recommended
    time.sleep(1)
    n.say("  (no terminal: accepting the recommendation)")
    return recommended


def _sleep_and_travel(n: Narrator, api: httpx.Client, job: dict, wake_at: str) -> None:
    wake = datetime.fromisoformat(wake_at.replace("Z", "+00:00"))
    for _ in range(3):
        now = datetime.fromisoformat(api.get("/_local/clock").json()["now"])
        left = max(0, int((wake - now).total_seconds()))
        n.say(f"  sleeping until {wake_at}: {left // 3600:02d}:{left % 3600 // 60:02d}:{left % 60:02d} to go")
        time.sleep(0.4)
    now = datetime.fromisoformat(api.get("/_local/clock").json()["now"])
    # Sleeping jobs wake spread over the minutes after the refresh (not all at once): jump past the spread.
    jump = (wake - now).total_seconds() + WAKE_SPREAD_S + 60
    n.say(
        f"  time travel: the clock jumps {jump / 3600:.1f} hours, past the budget refresh and the "
        f"{WAKE_SPREAD_S // 60} minutes over which sleeping jobs wake"
    )
    api.post("/_local/clock/advance", json={"seconds": jump}).raise_for_status()
