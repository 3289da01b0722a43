"""The creator's journey in a real browser: Playwright drives Debian's Chromium (installed by
`bin/test`) against the live server on loopback, with the real content loaded, Stripe played
by the loopback emulator and email read from anymail's test outbox."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import sync_playwright

from e2e.browser import PASSWORD, Pages

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# The flags a root, headless, offline machine needs: no sandbox (root), and none of the
# background connections Chromium makes to Google's services (refused here, many at a time).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
    "--disable-background-networking", "--disable-component-update",
]

# Playwright's sync API runs an asyncio loop in the test's thread, and Django refuses ORM calls
# from a thread with a running loop; the test's own ORM calls (fixtures, outbox, assertions)
# are ordinary blocking calls, so we tell Django they are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `bin/test` installs it (apt-get install chromium)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(transactional_db, live_server, settings, emulator):
    """The live server with the real content, links in emails pointing at it, and a Stripe
    webhook endpoint registered on the emulator the way production registers it on Stripe."""
    settings.SITE_URL = live_server.url
    call_command("load_content", verbosity=0)
    call_command("stripe_webhook_endpoint", base_url=live_server.url, stdout=open(os.devnull, "w"))
    return live_server


@pytest.fixture
def csp_violations():
    """Every Content-Security-Policy refusal Chromium reports on the console, in any page of the
    test: each test fails if one happened (a script, style or handler the policy blocked is a
    feature that silently stopped working)."""
    return []


@pytest.fixture
def browser_context(chromium, csp_violations):
    contexts = []

    def open_context(**options):
        context = chromium.new_context(**options)
        context.set_default_timeout(10_000)
        context.on("console", lambda message: csp_violations.append(f"{message.page.url if message.page else '?'}: {message.text}")
                   if "Content Security Policy" in message.text else None)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    assert not csp_violations, "blocked by the Content-Security-Policy:\n" + "\n".join(csp_violations)


@pytest.fixture
def page(browser_context):
    return browser_context().new_page()


@pytest.fixture
def pages(request):
    return Pages(request.node.name)


@pytest.fixture
def creator_account(site):
    """A verified free creator on the YouTube roadmap, created through the signup service."""
    from accounts.services import user_signup

    user = user_signup(email="maya@example.com", password=PASSWORD, display_name="Maya Lens",
                       platform="youtube", timezone="Europe/Berlin").user
    type(user).objects.filter(pk=user.pk).update(email_verified_at=user.date_joined)
    return user
