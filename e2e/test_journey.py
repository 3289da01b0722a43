"""A new creator's whole journey, in one browser session, as they would live it."""

import re

from playwright.sync_api import expect

from billing.models import Payment
from e2e.browser import PASSWORD, emails_to, link_in
from milestones.models import Celebration
from tasks.models import ContentIdea

EMAIL = "rio@example.com"


def test_signup_to_paid_plan(site, browser_context, pages):
    base = site.url
    page = browser_context().new_page()
    reloads = []
    page.on("framenavigated", lambda frame: reloads.append(frame.url) if frame == page.main_frame else None)

    # Signup, with the onboarding choices: platform, niche (loaded for the platform), time zone.
    page.goto(f"{base}/signup/")
    pages.check(page, "signup")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Display name").fill("Rio Makes")
    page.get_by_label("TikTok").check()
    expect(page.locator("#id_niche option", has_text="Comedy")).to_have_count(1)
    page.get_by_label("Niche").select_option(label="Comedy & skits")
    page.get_by_label("Time zone").select_option("America/Sao_Paulo")
    page.get_by_role("button", name="Create my account").click()
    # The same answer as for a taken email (no enumeration): check your inbox.
    page.wait_for_url(f"{base}/signup/sent/")
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    expect(page.get_by_text(EMAIL)).to_be_visible()

    # Verify the email with the link from the outbox: in the browser that signed up, it logs in.
    [verification] = [m for m in emails_to(EMAIL) if "verify" in m.subject.lower() or "confirm" in m.subject.lower()]
    page.goto(link_in(verification, "/verify/"))
    page.wait_for_url(f"{base}/dashboard/")
    expect(page.get_by_text("Your email is verified")).to_be_visible()
    expect(page.get_by_text("Please confirm your email")).to_have_count(0)
    expect(page.get_by_role("heading", name="Hi Rio Makes")).to_be_visible()
    expect(page.get_by_text("TikTok roadmap")).to_be_visible()
    pages.check(page, "dashboard")

    # Complete today's first task without a page load; the celebration appears once.
    task = page.locator("article.task").first
    task_title = task.locator("h3").inner_text()
    navigations = len(reloads)
    task.get_by_label("How well did it go?").select_option("5")
    task.get_by_role("button", name="Mark complete").click()
    expect(page.locator("article.task-done", has_text=task_title)).to_be_visible()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("First step")
    assert len(reloads) == navigations, "completing a task reloaded the page"
    expect(page.locator(".stats")).to_contain_text("20")  # points: 10 + 2 x quality 5
    pages.check(page, "celebration")
    dialog.get_by_role("button", name="Keep going").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    assert Celebration.objects.filter(achievement__user__email=EMAIL, seen_at__isnull=False).count() == 1
    page.reload()
    expect(page.locator("article.task-done", has_text=task_title)).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)

    # Share the milestone and open the public page logged out.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Milestones").click()
    first_step = page.locator("li.milestone", has_text="First step")
    first_step.get_by_role("button", name="Create share link").click()
    share_url = first_step.get_by_label("Share link").input_value()
    assert re.fullmatch(rf"{re.escape(base)}/m/[\w-]{{20,}}", share_url), share_url
    pages.check(page, "milestones")
    public = browser_context().new_page()
    public.goto(share_url)
    expect(public.get_by_role("heading", level=1)).to_have_text("Rio Makes unlocked “First step”")
    expect(public.locator('meta[property="og:title"]')).to_have_attribute("content", "Rio Makes unlocked “First step”")
    assert EMAIL not in public.content()
    expect(public.get_by_role("link", name="Share on LinkedIn")).to_be_visible()
    pages.check(public, "public-milestone")

    # Day 31 is locked on the free plan.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Roadmap").click()
    day31 = page.locator("article.task", has_text="Day 31 ·").first
    expect(day31.get_by_role("link", name="Upgrade to Pro")).to_be_visible()
    pages.check(page, "roadmap-free")

    # Hit the free limit on ideas: five a day, the sixth is refused with an upgrade link.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ideas").click()
    for number in range(1, 7):
        page.locator("#idea-form").get_by_label("Title").fill(f"Idea number {number}")
        page.get_by_role("button", name="Save idea").click()
        if number <= 5:
            expect(page.locator("#idea-list")).to_contain_text(f"Idea number {number}")
            expect(page.locator("#idea-form").get_by_label("Title")).to_have_value("")
    limit = page.get_by_role("alert").filter(has_text="5 of your 5 ideas today")
    expect(limit).to_be_visible()
    assert ContentIdea.objects.filter(user__email=EMAIL).count() == 5
    pages.check(page, "ideas-limit")

    # Upgrade through Stripe Checkout (the emulator's hosted page), paid, events signed.
    limit.get_by_role("link", name="Upgrade your plan").click()
    page.wait_for_url(f"{base}/pricing/")
    pages.check(page, "pricing")
    page.get_by_role("button", name="Upgrade to Pro").click()
    expect(page.get_by_role("heading", name="Subscribe to Pro Creator")).to_be_visible()
    expect(page.locator("#amount")).to_have_text("$9.99 / month")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(f"{base}/billing/?checkout=success")
    expect(page.get_by_role("heading", name="Your plan: Pro")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You are on Pro Creator")
    payments = page.locator("section", has=page.get_by_role("heading", name="Payment history"))
    expect(payments.get_by_role("row")).to_have_count(2)  # the header and one payment
    expect(payments).to_contain_text("9.99 USD")
    assert Payment.objects.filter(user__email=EMAIL).count() == 1
    pages.check(page, "billing-pro")
    assert [m.subject for m in emails_to(EMAIL) if "receipt" in m.subject.lower()] != []

    # Day 31 is unlocked, and the ideas limit is gone.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Roadmap").click()
    day31 = page.locator("article.task", has_text="Day 31 ·").first
    expect(day31.get_by_role("link", name="Upgrade to Pro")).to_have_count(0)
    expect(day31.get_by_role("button", name="Mark complete")).to_be_visible()
    pages.check(page, "roadmap-pro")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ideas").click()
    page.locator("#idea-form").get_by_label("Title").fill("Idea number 6")
    page.get_by_role("button", name="Save idea").click()
    expect(page.locator("#idea-list")).to_contain_text("Idea number 6")
    assert ContentIdea.objects.filter(user__email=EMAIL).count() == 6
