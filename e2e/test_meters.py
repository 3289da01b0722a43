"""The meters move when they change, without a reload: the roadmap's exports meter after a
download, the ideas meter after saving an idea, and the dashboard's meters when the creator
comes back to it."""

from playwright.sync_api import expect

from e2e.browser import creator_log_in


def test_meters_move_after_an_export_and_after_saving_an_idea(site, page, creator_account):
    base = site.url
    creator_log_in(page, base, creator_account.email)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)

    page.goto(f"{base}/roadmap/")
    expect(page.locator("#export-meter")).to_contain_text("0 of 3")
    loaded = len(navigations)
    with page.expect_download() as download:
        page.get_by_role("button", name="Progress (.csv)").click()
    assert download.value.suggested_filename.endswith(".csv")
    expect(page.locator("#export-meter")).to_contain_text("1 of 3")
    assert len(navigations) == loaded  # the page stayed: the meter came over htmx

    page.goto(f"{base}/ideas/")
    expect(page.locator("#meter-ideas")).to_contain_text("0 of 5")
    loaded = len(navigations)
    page.locator("#idea-form").get_by_label("Title").fill("Shorts from the long video")
    page.get_by_role("button", name="Save idea").click()
    expect(page.locator("#meter-ideas")).to_contain_text("1 of 5")
    assert len(navigations) == loaded

    # The dashboard: a brand-new free creator's platform is the plan's allowance, said neutrally.
    page.goto(f"{base}/dashboard/")
    expect(page.locator("#meter-exports")).to_contain_text("1 of 3")
    expect(page.locator("#meter-platforms")).to_contain_text("Your plan includes 1")
    expect(page.locator("#usage-meters .meter-limit")).to_have_count(0)
    loaded = len(navigations)
    other = page.context.new_page()
    other.goto(f"{base}/roadmap/")
    with other.expect_download():
        other.get_by_role("button", name="Add to calendar (.ics)").click()
    other.close()
    page.bring_to_front()
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(page.locator("#meter-exports")).to_contain_text("2 of 3")
    assert len(navigations) == loaded
