"""Accessibility smoke checks: every field has a label, every control has a name and is a real control, each one is
reachable with Tab and shows where the focus is; the decision console works from the keyboard alone."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from tests.console.conftest import LAPTOP

AUDIT = """() => {
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const fields = [...document.querySelectorAll("input, select, textarea")].filter(visible);
  const unlabeled = fields
    .filter((el) => !(el.labels && el.labels.length))
    .filter((el) => !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
    .map((el) => el.id || el.name || el.outerHTML.slice(0, 100));
  const controls = [...document.querySelectorAll("button, a[href], summary")].filter(visible);
  const nameless = controls
    .filter((el) => !(el.innerText || el.getAttribute("aria-label") || "").trim())
    .map((el) => el.outerHTML.slice(0, 100));
  const fakeButtons = [...document.querySelectorAll("[onclick], [role=button]")]
    .map((el) => el.outerHTML.slice(0, 100));
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
  const duplicateIds = ids.filter((id, i) => ids.indexOf(id) !== i);
  const images = [...document.querySelectorAll("img")].filter((img) => !img.hasAttribute("alt")).map((img) => img.src);
  return { unlabeled, nameless, fakeButtons, duplicateIds, images, lang: document.documentElement.lang };
}"""

KEY = """(el) => el.id || (el.dataset && el.dataset.jobId)
  || [el.tagName, el.closest("[data-event-id]")?.dataset.eventId, (el.innerText || "").trim().slice(0, 30)].join(":")"""

FOCUSABLE = f"""() => {{
  const key = {KEY};
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  return [...document.querySelectorAll("button, a[href], input, select, textarea, summary")]
    .filter((el) => visible(el) && !el.disabled && el.tabIndex >= 0)
    .map(key);
}}"""

FOCUSED = f"""() => {{
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  return {{
    key: ({KEY})(el),
    focusVisible: el.matches(":focus-visible"),
    outlined: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  }};
}}"""


# Moves the keyboard's starting point to the top of the page.
START = """() => {
  document.getElementById("tab-start")?.remove();
  const start = document.createElement("span");
  start.id = "tab-start";
  start.tabIndex = -1;
  document.body.prepend(start);
  start.focus();
}"""


def audit(page: Page) -> None:
    found = page.evaluate(AUDIT)
    assert found["lang"] == "en"
    for problem in ("unlabeled", "nameless", "fakeButtons", "duplicateIds", "images"):
        assert found[problem] == [], (problem, found[problem])


def tab_through(page: Page, limit: int = 120) -> list[dict]:
    """Press Tab from the top of the page until the focus comes back round; what got the focus, in order."""
    page.evaluate(START)  # the walk starts from the top of the page
    seen: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or (seen and focused["key"] == seen[0]["key"]):
            break
        seen.append(focused)
    page.evaluate("document.getElementById('tab-start')?.remove()")
    return seen


def keyboard_reachable(page: Page) -> None:
    expected = page.evaluate(FOCUSABLE)
    walk = tab_through(page)
    reached = [f["key"] for f in walk]
    assert expected, "nothing focusable"
    assert [key for key in expected if key not in reached] == [], (expected, reached)
    invisible = [f["key"] for f in walk if not (f["focusVisible"] and f["outlined"])]
    assert invisible == [], f"no visible focus on {invisible}"


def test_sign_in_and_workspace_by_keyboard(cloud, contexts, shots) -> None:
    founder = "founder-keyboard"
    api = cloud.client(founder)
    job_id = api.post("/api/jobs", json={"goal": "Find ten design partners", "daily_budget_usd": 1}).json()["job_id"]
    deadline = time.monotonic() + 15
    while api.get(f"/api/jobs/{job_id}/status").json()["state"] != "waiting_for_input":
        assert time.monotonic() < deadline
        time.sleep(0.05)

    page = contexts(LAPTOP).new_page()
    page.goto(cloud.url + "/")
    expect(page.get_by_label("Founder id")).to_be_focused()  # the sign-in puts the focus where to type
    audit(page)
    keyboard_reachable(page)

    # sign in with the keyboard only
    page.get_by_label("Founder id").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(founder)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your jobs")).to_be_visible()
    link = page.locator(f'#jobs a[data-job-id="{job_id}"]')
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#decision")).to_be_visible()
    expect(page.locator("#timeline .tl-step")).to_have_count(3)
    audit(page)
    keyboard_reachable(page)
    # the skip link's first in the tab order and jumps to the content, keeping the open job
    page.evaluate(START)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    assert page.url.endswith(f"#/jobs/{job_id}")
    expect(page.locator("#decision")).to_be_visible()

    # the decision console from the keyboard: open "decide otherwise", Escape closes it, Enter submits it
    page.get_by_role("button", name="Decide otherwise").focus()
    page.keyboard.press("Enter")
    decision = page.get_by_role("textbox", name="Your decision")
    expect(decision).to_be_focused()
    expect(page.get_by_role("button", name="Decide otherwise")).to_have_attribute("aria-expanded", "true")
    audit(page)
    keyboard_reachable(page)
    shots(page, "keyboard-decide-otherwise", full_page=False)
    decision.focus()
    page.keyboard.press("Escape")
    expect(page.locator("#otherwise-form")).to_be_hidden()
    expect(page.get_by_role("button", name="Decide otherwise")).to_be_focused()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Send decision").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#decision-text-error")).to_contain_text("Write the decision")
    expect(decision).to_be_focused()
    page.keyboard.type("Use organic channels only for now.")
    page.keyboard.press("Tab")
    page.keyboard.type("Post in three more communities.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    outcome = page.locator("#decision-outcome")
    expect(outcome).to_contain_text("Decision sent")
    expect(outcome).to_be_focused()  # the focus does not fall back to the top of the page
    expect(page.locator("#job-badge")).to_have_attribute("data-state", "sleeping")
    audit(page)
    shots(page, "keyboard-decision-sent", full_page=False)
