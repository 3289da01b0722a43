"""The admin's Transactions page after a short load, in a real browser (screenshot and axe)."""

import datetime
import json
import urllib.error
import urllib.request

from playwright.sync_api import expect
from rest_framework.authtoken.models import Token

from accounts.models import Enrollment, User
from accounts.services import user_signup
from core import rollup
from e2e.browser import PASSWORD
from tasks.models import RoadmapTask


def _post(url, headers, body=b"{}"):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_transactions_page_shows_live_figures_after_a_short_load(site, browser_context, pages, settings):
    settings.ROLLUP_FLUSH_SECONDS = 0
    rollup.reset()  # the live server is this process: forget the figures of the tests before
    base = site.url
    statuses = []
    for number in range(3):
        user = user_signup(email=f"load-{number}@example.com", password=PASSWORD, display_name=f"Load {number}",
                           platform="youtube", timezone="UTC").user
        Enrollment.objects.filter(user=user).update(started_on=datetime.date.today() - datetime.timedelta(days=12))
        token = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
        for day in range(1, 11):
            task = RoadmapTask.objects.filter(platform="youtube", day=day).first()
            statuses.append(_post(f"{base}/api/v1/tasks/{task.pk}/complete", {**token, "X-Request-ID": f"load-{number}-day-{day}"}))
        locked = RoadmapTask.objects.filter(platform="youtube", day=31).first()
        statuses.append(_post(f"{base}/api/v1/tasks/{locked.pk}/complete", {**token, "X-Request-ID": f"load-{number}-day-31"}))
    from djstripe.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.get()
    # Well-formed (so it reaches the signature check and is kept as an invalid delivery), forged.
    body = json.dumps({"id": "evt_forged", "object": "event", "type": "invoice.paid", "created": 1700000000,
                       "livemode": False, "data": {"object": {"id": "in_1", "object": "invoice", "customer": "cus_1"}}}).encode()
    statuses.append(_post(f"{base}/stripe/webhook/{endpoint.djstripe_uuid}/", {"Stripe-Signature": "t=1,v1=forged"}, body))
    assert statuses.count(201) == 30 and statuses.count(409) == 3 and statuses[-1] == 400

    User.objects.create_superuser("ops-e2e@example.com", PASSWORD)
    page = browser_context(viewport={"width": 1280, "height": 1500}).new_page()
    page.goto(f"{base}/admin/login/?next=/admin/transactions/")
    page.get_by_label("Email").fill("ops-e2e@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin/transactions/")

    services = page.locator("#tx-services")
    row = services.get_by_role("row").filter(has_text="tasks.task_complete")
    expect(row.get_by_role("cell").first).to_have_text("33")  # 30 completions + 3 refused
    expect(row.get_by_role("cell").nth(4)).to_have_text("3")  # refused
    expect(page.get_by_role("img", name="Transaction duration over the last hour, all services")).to_be_visible()
    expect(page.get_by_role("img", name="Rollbacks over the last hour, all services and causes")).to_be_visible()
    expect(page.get_by_role("img", name="Stripe webhook deliveries over the last hour by outcome")).to_be_visible()
    expect(page.locator("#tx-slowest")).to_contain_text("load-")
    expect(page.locator("#tx-jobs")).to_contain_text("Queued (backlog)")
    pages.check(page, "admin-transactions")
    page.locator("#content").screenshot(path=pages.directory / "admin-transactions-content.png")
