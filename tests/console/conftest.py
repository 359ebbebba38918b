"""The founder console in a real browser: Debian's Chromium driven by Playwright (no browser download), against
`python -m localcloud up` on free ports, which serves the console's static files at `/`."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.e2e.conftest import RunningCloud, start_cloud, stop_cloud

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


class Cloud(RunningCloud):
    """The e2e tests' local cloud, with what the browser tests ask of it."""

    @property
    def url(self) -> str:
        return self.api

    def token(self, sub: str) -> str:
        answer = httpx.post(f"{self.url}/_local/token", json={"sub": sub})
        answer.raise_for_status()
        return answer.json()["token"]

    def now(self) -> str:
        return httpx.get(f"{self.url}/_local/clock").json()["now"]

    def advance(self, seconds: float) -> str:  # type: ignore[override]
        answer = httpx.post(f"{self.url}/_local/clock/advance", json={"seconds": seconds})
        answer.raise_for_status()
        return answer.json()["now"]


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    log = tmp_path_factory.mktemp("console-cloud") / "up.log"
    running = start_cloud(None, log, redis_url=REDIS_URL, cls=Cloud)  # on its own Redis database
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


def wait_until(condition: Callable[[], object], timeout: float = 10) -> None:
    """Polls condition() until it holds; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
