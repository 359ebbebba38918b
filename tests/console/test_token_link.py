"""A `#token=` link never silently replaces the founder signed in in the tab: the console asks, keeps the current
founder when told to stay, and takes the token out of the address whatever the answer."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.console.conftest import LAPTOP, TOKEN_KEY, signed_in_page, wait_until

SIGNED_IN = "founder-link-a"
LINKED = "founder-link-b"


def stored_token(page: Page) -> str | None:
    return page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')")


def start_job(cloud, founder: str, goal: str) -> str:
    answer = cloud.client(founder).post("/api/jobs", json={"goal": goal, "daily_budget_usd": 1})
    answer.raise_for_status()
    return answer.json()["job_id"]


def test_declining_keeps_the_signed_in_founder_on_their_job(cloud, contexts, shots) -> None:
    job_id = start_job(cloud, SIGNED_IN, "Interview five accountants")
    current, linked = cloud.token(SIGNED_IN), cloud.token(LINKED)
    context = contexts(LAPTOP)
    page = signed_in_page(context, cloud, current, f"/#/jobs/{job_id}")
    expect(page.locator("#job-goal")).to_have_text("Interview five accountants")
    expect(page.locator("#founder")).to_have_text(SIGNED_IN)

    # the link followed in the same tab (only the fragment changes: no reload)
    page.goto(f"{cloud.url}/#token={linked}")
    question = page.get_by_role("dialog", name="Switch founder?")
    expect(question).to_be_visible()
    expect(question).to_contain_text(f"This link signs in as {LINKED}. You are signed in as {SIGNED_IN} in this tab.")
    stay = question.get_by_role("button", name=f"Stay signed in as {SIGNED_IN}")
    expect(stay).to_be_focused()  # the safe answer is the default one
    assert "token" not in page.url
    shots(page, "switch-founder-question")

    stay.click()
    expect(question).to_be_hidden()
    expect(page.locator("#founder")).to_have_text(SIGNED_IN)
    assert stored_token(page) == current
    expect(page).to_have_url(f"{cloud.url}/#/jobs/{job_id}")  # back where they were, the token gone
    expect(page.locator("#job-goal")).to_have_text("Interview five accountants")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")

    # Escape answers "stay" too
    page.goto(f"{cloud.url}/#token={linked}")
    expect(question).to_be_visible()
    page.keyboard.press("Escape")
    expect(question).to_be_hidden()
    expect(page.locator("#founder")).to_have_text(SIGNED_IN)
    assert stored_token(page) == current and "token" not in page.url
    assert context.errors == []


def test_accepting_signs_the_linked_founder_in(cloud, contexts, shots) -> None:
    theirs = start_job(cloud, SIGNED_IN, "Price the premium plan")
    mine = start_job(cloud, LINKED, "Find three pilot customers")
    current, linked = cloud.token(SIGNED_IN), cloud.token(LINKED)
    context = contexts(LAPTOP)
    page = signed_in_page(context, cloud, current, f"/#/jobs/{theirs}")
    expect(page.locator("#job-goal")).to_have_text("Price the premium plan")

    # the link opened as a new page load in the same tab
    page.goto(f"{cloud.url}/index.html#token={linked}")
    question = page.get_by_role("dialog", name="Switch founder?")
    expect(question).to_be_visible()
    assert "token" not in page.url
    question.get_by_role("button", name=f"Switch to {LINKED}").click()

    expect(question).to_be_hidden()
    expect(page.locator("#founder")).to_have_text(LINKED)
    expect(page.locator(f'#jobs a[data-job-id="{mine}"]')).to_be_visible()
    expect(page.locator(f'#jobs a[data-job-id="{theirs}"]')).to_have_count(0)
    expect(page.locator("#no-job")).to_be_visible()
    assert stored_token(page) == linked and "token" not in page.url
    shots(page, "switched-founder")
    assert context.errors == []


def test_a_link_for_the_same_founder_asks_nothing(cloud, contexts) -> None:
    job_id = start_job(cloud, SIGNED_IN, "Draft the onboarding email")
    context = contexts(LAPTOP)
    page = signed_in_page(context, cloud, cloud.token(SIGNED_IN), f"/#/jobs/{job_id}")
    expect(page.locator("#job-goal")).to_have_text("Draft the onboarding email")
    fresh = cloud.token(SIGNED_IN)
    page.goto(f"{cloud.url}/#token={fresh}")
    wait_until(lambda: stored_token(page) == fresh)  # signed in again with the link's token
    expect(page.locator("#job-goal")).to_have_text("Draft the onboarding email")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.locator("#founder")).to_have_text(SIGNED_IN)
    expect(page).to_have_url(f"{cloud.url}/#/jobs/{job_id}")
    assert context.errors == []
