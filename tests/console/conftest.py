"""The founder console in a real browser: Debian's Chromium driven by Playwright (no browser download), against
`python -m localcloud up` on free ports, which serves the console's static files at `/`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from localcloud.redis_choice import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CONSOLE_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium's own connections are refused by a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Its own Redis database: the e2e suite flushes 14, the unit suite 13.
REDIS_URL = os.environ.get("CONSOLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")
RESULTS = ROOT / "test-results" / "console"
TOKEN_KEY = "cofounder.token"
LAPTOP = {"width": 1280, "height": 860}
# Generous waits: the machine may be busy with other suites (they only cost time when something is wrong).
expect.set_options(timeout=15_000)
PHONE = {"width": 390, "height": 844}


@dataclass
class Cloud:
    process: subprocess.Popen
    http: int
    ws: int
    aws: int
    model: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ws}"

    def token(self, sub: str) -> str:
        answer = httpx.post(f"{self.url}/_local/token", json={"sub": sub})
        answer.raise_for_status()
        return answer.json()["token"]

    def api(self, sub: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token(sub)}"}, timeout=30)

    def now(self) -> str:
        return httpx.get(f"{self.url}/_local/clock").json()["now"]

    def advance(self, seconds: float) -> str:
        answer = httpx.post(f"{self.url}/_local/clock/advance", json={"seconds": seconds})
        answer.raise_for_status()
        return answer.json()["now"]


def start_cloud(log: Path) -> Cloud:
    """Like tests/e2e/conftest.py's start_cloud, on its own Redis database."""
    ports = {name: free_port() for name in ("http", "ws", "aws", "model")}
    redis.Redis.from_url(REDIS_URL).flushdb()
    args = [sys.executable, "-m", "localcloud", "up"] + [f"--{k}-port={v}" for k, v in ports.items()]
    env = {**os.environ, "REDIS_URL": REDIS_URL, "PYTHONUNBUFFERED": "1",
           "LOCALCLOUD_STATE_FILE": str(log.parent / "state.json")}
    for name in ("AWS_ENDPOINT_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        env.pop(name, None)
    handle = log.open("w")
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while "localcloud ready" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"localcloud did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    return Cloud(process, log=log, **ports)


def stop_cloud(cloud: Cloud) -> None:
    cloud.process.send_signal(signal.SIGTERM)
    try:
        assert cloud.process.wait(timeout=20) == 0, cloud.log.read_text()[-3000:]
    finally:
        if cloud.process.poll() is None:
            cloud.process.kill()


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    running = start_cloud(tmp_path_factory.mktemp("console-cloud") / "up.log")
    yield running
    stop_cloud(running)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} is missing: `make chromium` (part of `make test`) installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """shot(page, "name"): a full-page screenshot in test-results/console/<test>/NN-name.png."""
    folder = RESULTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    taken: list[Path] = []

    def shot(page: Page, name: str, full_page: bool = True) -> Path:
        path = folder / f"{len(taken) + 1:02d}-{name}.png"
        page.bring_to_front()  # a background tab renders slowly
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        taken.append(path)
        return path

    return shot


@pytest.fixture
def contexts(browser: Browser, cloud: Cloud) -> Iterator[Callable[..., BrowserContext]]:
    """new_context(viewport=LAPTOP): a browser profile whose console/config.js points at this cloud's ports
    (the way a deployment sets its own URLs), with page errors collected in context.errors."""
    opened: list[BrowserContext] = []
    config = f"export default {json.dumps({'apiBase': '', 'wsUrl': cloud.ws_url})};\n"

    def new_context(viewport: dict | None = None) -> BrowserContext:
        context = browser.new_context(viewport=viewport or LAPTOP, locale="en-GB", timezone_id="UTC")
        context.set_default_timeout(20_000)
        context.route(
            f"{cloud.url}/config.js",
            lambda route: route.fulfill(status=200, content_type="text/javascript", body=config),
        )
        context.errors = []  # type: ignore[attr-defined]
        context.on("weberror", lambda error: context.errors.append(str(error.error)))  # type: ignore[attr-defined]
        opened.append(context)
        return context

    yield new_context
    for context in opened:
        context.close()


def signed_in_page(context: BrowserContext, cloud: Cloud, token: str, path: str = "/") -> Page:
    """A new tab of a founder who signed in earlier in it (the token in this tab's sessionStorage)."""
    page = context.new_page()
    seed = f"""if (!sessionStorage.getItem("test.seeded")) {{
        sessionStorage.setItem("test.seeded", "1");
        sessionStorage.setItem({json.dumps(TOKEN_KEY)}, {json.dumps(token)});
    }}"""
    page.add_init_script(seed)
    page.goto(cloud.url + path)
    return page
