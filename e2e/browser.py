"""What the browser tests share: screenshots with axe-core checks, the outbox, logging in."""

import json
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.core import mail

from core.testing.jobs import run_queued_jobs

ARTIFACTS = Path(__file__).resolve().parents[1] / "var" / "e2e"
PASSWORD = "a-long-creator-passphrase"
# axe-core impacts that fail a page; "moderate" and "minor" are reported in the artifacts.
BLOCKING_IMPACTS = {"serious", "critical"}


class Pages:
    """What the e2e tests share: screenshots and axe-core checks of each page they visit."""

    def __init__(self, name):
        self.directory = ARTIFACTS / name
        self.directory.mkdir(parents=True, exist_ok=True)
        self.axe = Axe()
        self.checked = {}

    def check(self, page, label):
        """Screenshot the page and fail on serious or critical accessibility violations."""
        page.screenshot(path=self.directory / f"{label}.png")
        results = self.axe.run(page)
        violations = results.response["violations"]
        self.checked[label] = {"url": page.url, "violations": [
            {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in violations]}
        (self.directory / "axe.json").write_text(json.dumps(self.checked, indent=2))
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"{label}: axe violations\n" + "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in blocking
        )


def emails_to(address):
    """Run the queued email jobs (the worker's own code) and return what reached `address`."""
    run_queued_jobs()
    return [m for m in mail.outbox if address in m.to]


def link_in(message, path_prefix):
    """The first link in an email's text body whose path starts with `path_prefix`."""
    match = re.search(rf"https?://[^\s]+{re.escape(path_prefix)}[^\s]*", message.body)
    assert match, f"no {path_prefix} link in: {message.body}"
    return match.group(0)


def creator_log_in(page, base_url, email, password=PASSWORD):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/dashboard/")
