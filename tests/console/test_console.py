"""The founder console end to end in Chromium, on the default scenario: plan -> note -> escalate -> an expensive
turn crossing 90 % of the daily budget -> sleep -> (time travel) -> finish."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import replace
from datetime import datetime

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from cofounder.auth import issue_token
from cofounder.domain.budget import WAKE_SPREAD_S
from localcloud.settings import auth_settings
from tests.console.conftest import LAPTOP, PHONE, ROOT, TOKEN_KEY, signed_in_page, wait_until

GOAL = "Validate demand for a B2B invoicing tool"
README_SCREENSHOT = ROOT / "console" / "docs" / "console.png"

# Records every state the badge and the budget bar go through (a MutationObserver, installed before the app runs).
WATCH = """
window.__badges = []; window.__levels = [];
document.addEventListener("DOMContentLoaded", () => {
  const badge = document.getElementById("job-badge"), bar = document.getElementById("budget-bar");
  const push = (list, value) => { if (value && list[list.length - 1] !== value) list.push(value); };
  new MutationObserver(() => push(window.__badges, badge.dataset.state))
    .observe(badge, { attributes: true, attributeFilter: ["data-state"] });
  new MutationObserver(() => push(window.__levels, bar.getAttribute("aria-valuenow") + ":" + bar.dataset.level))
    .observe(bar, { attributes: true, attributeFilter: ["aria-valuenow", "data-level"] });
});
"""


def in_order(seen: list[str], expected: list[str]) -> bool:
    position = 0
    for item in seen:
        if position < len(expected) and item == expected[position]:
            position += 1
    return position == len(expected)


def timeline_ids(page: Page) -> list[int]:
    return [int(x) for x in page.locator("#timeline > li").evaluate_all("items => items.map(i => i.dataset.eventId)")]


def test_a_whole_session_across_tabs(cloud, contexts, shots) -> None:
    founder = "founder-console"
    context = contexts(LAPTOP)

    # -- sign in (dev sign-in), the token stays in the tab, never in the address ---------------------------------
    tab1 = context.new_page()
    tab1.add_init_script(WATCH)
    tab1.goto(cloud.url + "/")
    expect(tab1.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(tab1.get_by_role("button", name="Dev sign-in")).to_be_visible()
    shots(tab1, "sign-in")
    tab1.get_by_label("Founder id").fill(founder)
    tab1.get_by_role("button", name="Dev sign-in").click()
    expect(tab1.get_by_role("heading", name="Your jobs")).to_be_visible()
    expect(tab1.locator("#connection")).to_have_attribute("data-state", "live")
    expect(tab1.locator("#jobs-status")).to_contain_text("No jobs yet")
    token = tab1.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')")
    assert token and token.count(".") == 2 and "token" not in tab1.url

    # -- the API's 422 is shown next to the field -----------------------------------------------------------------
    tab1.get_by_role("button", name="Start job").click()
    expect(tab1.locator("#goal-error")).to_contain_text("at least 1 character")
    expect(tab1.get_by_label("Goal")).to_have_attribute("aria-invalid", "true")
    expect(tab1.get_by_label("Goal")).to_be_focused()
    tab1.get_by_label("Goal").fill(GOAL)
    tab1.get_by_label("Daily budget (USD)").fill("-1")
    tab1.get_by_role("button", name="Start job").click()
    expect(tab1.locator("#daily_budget_usd-error")).to_contain_text("greater than 0")
    expect(tab1.locator("#goal-error")).to_be_hidden()
    shots(tab1, "validation-422")

    # -- start a job: the agent plans, notes, then escalates --------------------------------------------------------
    options = tab1.locator("#model option").all_inner_texts()
    assert "claude-sonnet-4-6" in options, options
    tab1.get_by_label("Daily budget (USD)").fill("1")
    tab1.get_by_role("button", name="Start job").click()
    expect(tab1).to_have_url(re.compile(r"#/jobs/[0-9a-f-]{36}$"))
    job_id = tab1.url.rsplit("/", 1)[1]
    expect(tab1.locator("#job-goal")).to_have_text(GOAL)
    decision = tab1.locator("#decision")
    expect(decision).to_be_visible()
    expect(tab1.locator("#job-badge")).to_have_attribute("data-state", "waiting_for_input")
    expect(tab1.locator("#job-badge")).to_have_text("waiting for input")
    expect(tab1.locator("#esc-problem")).to_contain_text("$300 of LinkedIn ads")
    expect(tab1.locator("#esc-tried")).to_contain_text("organic reach gave 4 sign-ups")
    expect(tab1.locator("#esc-recommended")).to_contain_text("Approve a $300 LinkedIn campaign")
    expect(tab1.locator("#plan > li")).to_have_count(3)
    expect(tab1.locator("#notes dt")).to_have_text([re.compile("^competitors")])
    expect(tab1.locator("#timeline .tl-step")).to_have_count(3)
    expect(tab1.locator("#timeline .tool-name")).to_have_text(["escalate_to_founder", "save_note", "update_plan"])
    # the figures are the API's (they follow the prompt's size): the console shows them as it says
    escalated = cloud.client(founder).get(f"/api/jobs/{job_id}/status").json()
    log = cloud.client(founder).get(f"/api/jobs/{job_id}/events", params={"after": 0}).json()["events"]
    first_cost = next(e["cost_usd"] for e in log if e["type"] == "agent.step_completed" and e["step"] == 0)
    assert escalated["budget_pct"] < 90 and first_cost < 0.01
    expect(tab1.locator("#budget-text")).to_have_text(f"{escalated['budget_pct']} %")
    expect(tab1.locator("#budget-bar")).to_have_attribute("data-level", "ok")
    expect(tab1.locator("#jobs .job-link[aria-current=page] .badge")).to_have_text("waiting for input")
    first_step = tab1.locator('#timeline .tl-step[data-step="0"]')
    expect(first_step.locator(".tl-metrics")).to_contain_text(re.compile(r"\d[\d,]* in · 80 out tokens"))
    expect(first_step.locator(".tl-cost")).to_have_text(f"${first_cost:.4f}")  # four decimals under a cent
    shots(tab1, "escalation")
    if os.environ.get("CONSOLE_README_SCREENSHOT"):
        tab1.screenshot(path=str(README_SCREENSHOT), full_page=False)

    # -- tab 2: signed in through a #token= link, then opens the job from the list -------------------------------
    tab2 = context.new_page()
    sockets: list[WebSocketRoute] = []
    sent_by_tab2: list[dict] = []

    def record(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        sockets.append(ws)

        def forward(message: str | bytes) -> None:
            sent_by_tab2.append(json.loads(message))
            server.send(message)

        ws.on_message(forward)

    tab2.route_web_socket(re.compile(rf"^ws://127\.0\.0\.1:{cloud.ws}"), record)
    tab2.goto(f"{cloud.url}/#token={token}")
    expect(tab2.get_by_role("heading", name="Your jobs")).to_be_visible()
    assert "token" not in tab2.url
    tab2.locator(f'#jobs a[data-job-id="{job_id}"]').click()
    expect(tab2.locator("#decision")).to_be_visible()
    expect(tab2.locator("#connection")).to_have_attribute("data-state", "live")
    wait_until(lambda: any(m.get("action") == "subscribe" for m in sent_by_tab2))
    last_seen = max(timeline_ids(tab2))

    # the connection drops: the indicator says so, it reconnects and resubscribes from the last event it has
    sockets[-1].close()
    expect(tab2.locator("#connection")).to_have_attribute("data-state", "reconnecting")
    expect(tab2.locator("#connection-text")).to_contain_text("Reconnecting")
    expect(tab2.locator("#connection")).to_have_attribute("data-state", "live")
    wait_until(lambda: len([m for m in sent_by_tab2 if m.get("action") == "subscribe"]) >= 2)
    resubscribe = [m for m in sent_by_tab2 if m.get("action") == "subscribe"][-1]
    assert resubscribe == {"action": "subscribe", "job_id": job_id, "after": last_seen}
    # a duplicate delivery (event_id already seen) changes nothing
    history = cloud.client(founder).get(f"/api/jobs/{job_id}/events", params={"after": 0}).json()["events"]
    before = timeline_ids(tab2)
    sockets[-1].send(json.dumps(history[1]))
    sockets[-1].send(json.dumps(history[5]))
    tab2.wait_for_timeout(150)
    assert timeline_ids(tab2) == before

    # -- tab 3: its socket delivers nothing, so it still shows the escalation when it answers (-> 409) ------------
    tab3 = signed_in_page(context, cloud, token, f"/#/jobs/{job_id}")

    def silent(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        server.on_message(lambda _message: None)

    tab3.route_web_socket(re.compile(rf"^ws://127\.0\.0\.1:{cloud.ws}"), silent)
    tab3.reload()
    expect(tab3.locator("#decision")).to_be_visible()

    # -- tab 1 decides otherwise; tab 2 updates live from agent.escalation_resolved, without a reload ------------
    tab2.evaluate("window.__sameDocument = true")
    tab1.get_by_role("button", name="Decide otherwise").click()
    expect(tab1.get_by_role("textbox", name="Your decision")).to_be_focused()
    tab1.get_by_role("textbox", name="Your decision").fill("Run the $300 LinkedIn campaign for one week.")
    tab1.get_by_label("Guidance for the agent (optional)").fill("Target finance managers at 20-200 person agencies.")
    tab1.get_by_role("button", name="Send decision").click()
    expect(tab1.locator("#decision")).to_be_hidden()
    expect(tab1.locator("#decision-outcome")).to_contain_text("Decision sent")
    expect(tab2.locator("#decision")).to_be_hidden()
    expect(tab2.locator("#decision-outcome")).to_contain_text("Resolved in another session")
    expect(tab2.locator("#decision-outcome")).to_contain_text("Run the $300 LinkedIn campaign for one week.")
    assert tab2.evaluate("window.__sameDocument") is True
    shots(tab2, "second-tab-updated-live")

    tab3.get_by_role("button", name="Accept the recommendation").click()
    expect(tab3.locator("#decision")).to_be_hidden()
    expect(tab3.locator("#decision-outcome")).to_contain_text("Already resolved elsewhere")
    expect(tab3.locator("#decision-outcome")).to_contain_text("Run the $300 LinkedIn campaign for one week.")
    shots(tab3, "conflict-409")

    # -- the expensive turn crosses 90 %: amber bar, the agent sleeps with a countdown to wake_at ---------------
    expect(tab1.locator("#job-badge")).to_have_attribute("data-state", "sleeping")
    status = cloud.client(founder).get(f"/api/jobs/{job_id}/status").json()
    assert status["state"] == "sleeping" and status["wake_at"] and status["budget_pct"] >= 90
    expect(tab1.locator("#budget-text")).to_have_text(f"{status['budget_pct']} %")
    expect(tab1.locator("#budget-bar")).to_have_attribute("data-level", "amber")
    expect(tab1.locator("#sleep-panel")).to_be_visible()
    countdown = tab1.locator("#countdown")
    expect(countdown).to_have_text(re.compile(r"^(\d+h )?\d+m \d\ds$"))
    left = datetime.fromisoformat(status["wake_at"]) - datetime.fromisoformat(cloud.now())
    assert countdown_seconds(countdown.inner_text()) == pytest.approx(left.total_seconds(), abs=5)
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first, timeout=2500)  # it ticks
    expect(tab1.locator("#decision-outcome")).to_contain_text("Decision sent")
    expect(tab1.locator("#timeline .tl-resolved .tl-text").first).to_contain_text("Run the $300 LinkedIn campaign")
    shots(tab1, "sleeping-countdown")
    badges = tab1.evaluate("window.__badges")
    assert in_order(badges, ["waiting_for_input", "working", "sleeping"]), badges
    levels = tab1.evaluate("window.__levels")
    assert in_order(levels, [f"{escalated['budget_pct']}:ok", f"{status['budget_pct']}:amber"]), levels

    # -- reload mid-session: the same state, bootstrapped from status + the event log --------------------------
    before_reload = {
        "timeline": timeline_ids(tab1),
        "plan": tab1.locator("#plan > li").all_inner_texts(),
        "notes": tab1.locator("#notes dt").all_inner_texts(),
        "cost": tab1.locator("#job-cost").inner_text(),
        "steps": tab1.locator("#job-steps").inner_text(),
    }
    tab1.reload()
    expect(tab1.locator("#job-badge")).to_have_attribute("data-state", "sleeping")
    expect(tab1.locator("#budget-bar")).to_have_attribute("data-level", "amber")
    expect(tab1.locator("#sleep-panel")).to_be_visible()
    expect(tab1.locator("#connection")).to_have_attribute("data-state", "live")
    after_reload = {
        "timeline": timeline_ids(tab1),
        "plan": tab1.locator("#plan > li").all_inner_texts(),
        "notes": tab1.locator("#notes dt").all_inner_texts(),
        "cost": tab1.locator("#job-cost").inner_text(),
        "steps": tab1.locator("#job-steps").inner_text(),
    }
    assert after_reload == before_reload
    assert 0.1 <= status["cost_usd"] < 1 and status["steps"] == 4
    assert before_reload["steps"] == "4" and before_reload["cost"] == f"${status['cost_usd']:.3f}"
    shots(tab1, "reloaded")

    # -- time travel past the budget refresh (wakes are spread over a few minutes after it): wakes, finishes ----
    cloud.advance(left.total_seconds() + WAKE_SPREAD_S + 1)
    for tab in (tab1, tab2):
        expect(tab.locator("#job-badge")).to_have_attribute("data-state", "completed")
        expect(tab.locator("#summary")).to_contain_text("Demand is validated for a narrow wedge")
        expect(tab.locator("#sleep-panel")).to_be_hidden()
    expect(tab1.locator("#timeline .tl-woke")).to_have_count(1)
    expect(tab1.locator("#job-steps")).to_have_text("5")
    expect(tab1.locator("#jobs .job-link[aria-current=page] .badge")).to_have_text("completed")
    badges = tab1.evaluate("window.__badges")
    assert in_order(badges, ["sleeping", "working", "completed"]), badges
    shots(tab1, "completed")
    tab1.set_viewport_size(PHONE)
    shots(tab1, "completed-phone")
    tab1.set_viewport_size(LAPTOP)

    # -- API unreachable: a banner that retries; then back -----------------------------------------------------
    # The whole API is down (any answer from it, e.g. the open job's event log, counts as "back").
    tab3.route("**/api/**", lambda route: route.abort())
    tab3.get_by_role("button", name="Refresh").click()
    expect(tab3.locator("#banner")).to_contain_text("Can't reach the API")
    shots(tab3, "api-unreachable")
    # retrying while it is still down keeps the banner, and waits longer before the next automatic retry
    tab3.get_by_role("button", name="Retry now").click()
    expect(tab3.locator("#banner-text")).to_contain_text(re.compile(r"Retrying in ([4-9]|[1-3]\d) s"))
    tab3.unroute("**/api/**")
    tab3.get_by_role("button", name="Retry now").click()
    expect(tab3.locator("#banner")).to_be_hidden()

    # -- a token the API refuses (401) -> back to sign-in; an expired one too ------------------------------------
    forged = issue_token(founder, replace(auth_settings(), jwt_secret="x" * 40))  # signed with another key
    tab3.evaluate(f"sessionStorage.setItem('{TOKEN_KEY}', {json.dumps(forged)})")
    tab3.get_by_role("button", name="Refresh").click()
    expect(tab3.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(tab3.locator("#signin-message")).to_contain_text("expired or the token was refused")
    assert tab3.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')") is None

    expired = issue_token(founder, auth_settings(), ttl_s=60, now=time.time() - 3600)
    tab2.evaluate(f"sessionStorage.setItem('{TOKEN_KEY}', {json.dumps(expired)})")
    tab2.reload()
    expect(tab2.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(tab2.locator("#signin-message")).to_contain_text("Your session expired")
    shots(tab2, "token-expired")

    # -- paste a token to sign in again: back on the same job ------------------------------------------------------
    tab2.get_by_label("Access token (JWT)").fill("not-a-token")
    tab2.get_by_role("button", name="Sign in with token").click()
    expect(tab2.locator("#token-input-error")).to_contain_text("not a JWT")
    tab2.get_by_label("Access token (JWT)").fill(token)
    tab2.get_by_role("button", name="Sign in with token").click()
    expect(tab2.locator("#job-badge")).to_have_attribute("data-state", "completed")
    assert "token" not in tab2.url

    assert context.errors == []


def test_phone_layout(cloud, contexts, shots) -> None:
    founder = "founder-phone"
    api = cloud.client(founder)
    job_id = api.post("/api/jobs", json={"goal": GOAL, "daily_budget_usd": 1}).json()["job_id"]
    wait_until(lambda: api.get(f"/api/jobs/{job_id}/status").json()["state"] == "waiting_for_input")
    context = contexts(PHONE)
    page = signed_in_page(context, cloud, cloud.token(founder), f"/#/jobs/{job_id}")
    expect(page.locator("#decision")).to_be_visible()
    expect(page.get_by_role("button", name="Accept the recommendation")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # the open job comes before the list on a phone
    job_top = page.locator("#job").bounding_box()["y"]
    assert job_top < page.locator("#new-job").bounding_box()["y"]
    shots(page, "phone-escalation", full_page=False)
    shots(page, "phone-escalation-full")
    page.get_by_role("button", name="Accept the recommendation").click()
    expect(page.locator("#decision-outcome")).to_contain_text("Decision sent")
    expect(page.locator("#job-badge")).to_have_attribute("data-state", "sleeping")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shots(page, "phone-sleeping", full_page=False)
    assert context.errors == []


def test_a_long_event_log_is_read_page_by_page(cloud, contexts) -> None:
    founder = "founder-pages"
    api = cloud.client(founder)
    job_id = api.post("/api/jobs", json={"goal": GOAL, "daily_budget_usd": 1}).json()["job_id"]
    wait_until(lambda: api.get(f"/api/jobs/{job_id}/status").json()["state"] == "waiting_for_input", timeout=30)
    events = api.get(f"/api/jobs/{job_id}/events", params={"after": 0}).json()["events"]
    shown = [int(e["event_id"]) for e in events if e["type"] != "agent.budget_updated"]
    context = contexts(LAPTOP)
    page = context.new_page()
    # pages of two events: the console follows next_after to the end of the log
    page.route(
        re.compile(r"/api/jobs/[^/]+/events\?"), lambda route: route.continue_(url=f"{route.request.url}&limit=2")
    )
    page.add_init_script(f"sessionStorage.setItem({json.dumps(TOKEN_KEY)}, {json.dumps(cloud.token(founder))})")
    page.goto(f"{cloud.url}/#/jobs/{job_id}")
    expect(page.locator("#decision")).to_be_visible()
    expect(page.locator("#timeline .tl-step")).to_have_count(3)
    assert sorted(timeline_ids(page)) == shown
    expect(page.locator("#plan > li")).to_have_count(3)
    assert context.errors == []


def countdown_seconds(text: str) -> int:
    parts = dict((unit, int(value)) for value, unit in re.findall(r"(\d+)([dhms])", text))
    return parts.get("d", 0) * 86400 + parts.get("h", 0) * 3600 + parts.get("m", 0) * 60 + parts.get("s", 0)
