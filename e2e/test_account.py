"""The creator's own account in a real browser: settings, email and password change, one-click
unsubscribe from a real message's header, deletion."""

import re

from playwright.sync_api import expect

from accounts.models import CreatorProfile, User
from e2e.browser import PASSWORD, creator_log_in, emails_to, link_in
from milestones.models import MilestoneAchievement
from milestones.services import achievement_share
from tasks.models import RoadmapTask
from tasks.services.completion import task_complete

NEW_EMAIL = "maya.new@example.com"
NEW_PASSWORD = "a-brand-new-passphrase-9"


def test_settings_email_password_unsubscribe_and_deletion(site, creator_account, browser_context, pages):
    base = site.url
    page = browser_context().new_page()
    creator_log_in(page, base, "maya@example.com")

    # The settings page is one click away, and the time zone states the rules it drives.
    page.get_by_role("link", name="Settings").click()
    page.wait_for_url(f"{base}/settings/")
    expect(page.get_by_text("a streak continues when you complete a task on the next local day")).to_be_visible()
    pages.check(page, "settings")
    page.get_by_label("Time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Your settings are saved.")).to_be_visible()
    assert CreatorProfile.objects.get(user=creator_account).timezone == "Asia/Tokyo"

    # A milestone email, unsubscribed from with the URL of its List-Unsubscribe header, the way
    # a mail client's one-click button does it (a POST, no session, no CSRF token).
    task_complete(user=creator_account, task_id=RoadmapTask.objects.get(platform="youtube", day=1, order=1).pk)
    [milestone_email] = [m for m in emails_to("maya@example.com") if "Milestone" in m.subject]
    assert milestone_email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header_url = re.search(r"<(https?://[^>]+)>", milestone_email.extra_headers["List-Unsubscribe"]).group(1)
    answer = browser_context().request.post(header_url, form={"List-Unsubscribe": "One-Click"})
    assert answer.status == 200
    assert CreatorProfile.objects.get(user=creator_account).milestone_emails is False
    page.reload()
    expect(page.get_by_label("Milestones I unlock")).not_to_be_checked()

    # The email: the new address follows the verification link from the outbox.
    page.locator("#id_email-new_email").fill(NEW_EMAIL)
    page.locator("#id_email-password").fill(PASSWORD)
    page.get_by_role("button", name="Change email").click()
    expect(page.get_by_text(f"Your email is now {NEW_EMAIL}")).to_be_visible()
    notice = [m for m in emails_to("maya@example.com") if "email was changed" in m.subject]
    assert notice and "/settings/email/undo/" in notice[0].body
    [verification] = [m for m in emails_to(NEW_EMAIL) if "confirm" in m.subject.lower() or "verify" in m.subject.lower()]
    page.goto(link_in(verification, "/verify/"))
    assert User.objects.get(pk=creator_account.pk).is_verified

    # The password, then a log in with the new one.
    page.goto(f"{base}/settings/")
    page.locator("#id_password-current_password").fill(PASSWORD)
    page.locator("#id_password-new_password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    fresh = browser_context().new_page()
    creator_log_in(fresh, base, NEW_EMAIL, password=NEW_PASSWORD)

    # Deletion: the share link of an achievement 404s afterwards, and logging in fails.
    achievement = MilestoneAchievement.objects.filter(user=creator_account).first()
    token = achievement_share(user=creator_account, milestone_id=achievement.milestone_id).share_token
    assert page.goto(f"{base}/m/{token}").status == 200
    page.goto(f"{base}/settings/")
    page.get_by_label("Your password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
    assert page.goto(f"{base}/m/{token}").status == 404
    page.goto(f"{base}/login/")
    page.get_by_label("Email").fill(NEW_EMAIL)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Please enter a correct")).to_be_visible()
    assert not User.objects.filter(pk=creator_account.pk).exists()
