"""Beyond the main journey: password reset, keyboard only, a phone, empty and error states."""

from playwright.sync_api import expect

from e2e.browser import creator_log_in, emails_to, link_in
from tasks.models import TaskCompletion

PHONE = {"width": 375, "height": 812}


def test_password_reset_from_the_emailed_link(site, page, pages, creator_account):
    base = site.url
    page.goto(f"{base}/login/")
    pages.check(page, "login")
    page.get_by_role("link", name="Forgot your password?").click()
    pages.check(page, "password-reset")
    page.get_by_label("Email").fill(creator_account.email)
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your inbox")

    [message] = [m for m in emails_to(creator_account.email) if "password" in m.subject.lower()]
    page.goto(link_in(message, "/reset/"))
    page.get_by_label("New password", exact=True).fill("a-brand-new-passphrase")
    page.get_by_label("New password confirmation").fill("a-brand-new-passphrase")
    pages.check(page, "password-reset-confirm")
    page.get_by_role("button", name="Save new password").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Password changed")

    creator_log_in(page, base, creator_account.email, "a-brand-new-passphrase")
    expect(page.get_by_role("heading", name="Hi Maya Lens")).to_be_visible()


def test_completing_a_task_with_the_keyboard_only(site, page, pages, creator_account):
    base = site.url
    creator_log_in(page, base, creator_account.email)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    button = page.get_by_role("button", name="Mark complete").first
    for _ in range(40):  # Tab through the page until the first "Mark complete" has the focus
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    expect(button).to_be_focused()
    page.keyboard.press("Enter")

    # The celebration is a modal dialog: the focus moves into it and Escape closes it.
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("First step")
    expect(dialog.get_by_role("button", name="Keep going")).to_be_focused()
    pages.check(page, "keyboard-celebration")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert TaskCompletion.objects.filter(user=creator_account).count() == 1


def test_every_page_fits_a_375px_phone(site, browser_context, pages, creator_account):
    base = site.url
    page = browser_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(f"{base}/")
    pages.check(page, "phone-landing")
    creator_log_in(page, base, creator_account.email)
    for path, label in [("/dashboard/", "phone-dashboard"), ("/roadmap/", "phone-roadmap"), ("/milestones/", "phone-milestones"),
                        ("/ideas/", "phone-ideas"), ("/billing/", "phone-billing"), ("/pricing/", "phone-pricing")]:
        page.goto(f"{base}{path}")
        # A phone widens the layout viewport to fit wide content (and zooms out), so compare
        # with the 375 CSS pixels the page was given, and name what sticks out.
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 375.5 && !e.closest('.heatmap'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
        assert not wide, f"{path} is wider than a 375px phone: {wide}"
        pages.check(page, label)

    page.goto(f"{base}/dashboard/")
    page.get_by_role("button", name="Mark complete").first.tap()
    expect(page.get_by_role("dialog")).to_contain_text("First step")
    box = page.get_by_role("dialog").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def test_a_new_creator_sees_helpful_empty_states(site, page, pages, creator_account):
    base = site.url
    creator_log_in(page, base, creator_account.email)
    page.goto(f"{base}/ideas/")
    expect(page.get_by_text("No ideas yet. Your first one is a title away.")).to_be_visible()
    page.goto(f"{base}/billing/")
    expect(page.get_by_text("No payments yet.")).to_be_visible()
    page.goto(f"{base}/milestones/")
    expect(page.locator("li.milestone-achieved")).to_have_count(0)
    expect(page.get_by_text("Not yet").first).to_be_visible()
    pages.check(page, "milestones-empty")


def test_a_failed_request_says_so_and_keeps_the_task(site, page, creator_account):
    base = site.url
    creator_log_in(page, base, creator_account.email)
    page.route("**/roadmap/tasks/*/complete/", lambda route: route.fulfill(status=503, body="busy"))
    task = page.locator("article.task").first
    task.get_by_role("button", name="Mark complete").click()
    expect(page.get_by_role("alert").filter(has_text="Something went wrong on our side (503)")).to_be_visible()
    expect(task.get_by_role("button", name="Mark complete")).to_be_enabled()

    page.unroute("**/roadmap/tasks/*/complete/")
    page.route("**/roadmap/tasks/*/complete/", lambda route: route.abort("internetdisconnected"))
    task.get_by_role("button", name="Mark complete").click()
    expect(page.get_by_role("alert").filter(has_text="could not reach CreatorCompass")).to_be_visible()
    assert not TaskCompletion.objects.exists()


def test_a_refused_completion_explains_inside_the_card(site, page, creator_account):
    """A tab opened while the plan was paid still shows day 31's form; the plan has since ended."""
    from billing.models import Entitlement
    from billing.services.grants import entitlement_grant

    base = site.url
    entitlement_grant(user=creator_account, plan_code="pro")
    creator_log_in(page, base, creator_account.email)
    page.goto(f"{base}/roadmap/")
    day31 = page.locator("article.task", has_text="Day 31 ·").first
    Entitlement.objects.filter(user=creator_account).delete()

    day31.get_by_role("button", name="Mark complete").click()
    expect(day31.get_by_role("alert")).to_contain_text("Day 31 is part of the 90-day roadmap on a paid plan")
    expect(day31.get_by_role("link", name="See plans")).to_be_visible()
    expect(day31.get_by_role("button", name="Mark complete")).to_be_enabled()
    assert not TaskCompletion.objects.exists()


def test_swagger_ui_and_htmx_work_under_the_content_security_policy(site, page, creator_account):
    """The policy allows no inline script: Swagger UI's init script is a URL of its own and its
    style carries the nonce; htmx runs without eval or injected styles. A violation fails the
    test (browser_context collects them)."""
    response = page.goto(f"{site.url}/api/v1/docs")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy and "unsafe-inline" not in policy.split("style-src-attr")[0]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("CreatorCompass API")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/auth/token")).to_have_count(1)

    creator_log_in(page, site.url, creator_account.email)
    page.goto(f"{site.url}/ideas/")
    page.get_by_label("Title").first.fill("A video about CSP")
    page.get_by_role("button", name="Save idea").click()
    expect(page.locator("#idea-list")).to_contain_text("A video about CSP")
    # The form is reset after a 201 (was an hx-on handler, evaluated JavaScript).
    expect(page.get_by_label("Title").first).to_have_value("")
