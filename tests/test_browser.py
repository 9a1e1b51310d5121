"""The public site in a real browser (Debian's Chromium through Playwright), with the shipped data.

Screenshots of every page, at desktop and phone width, go to test-artifacts/
(git-ignored) for a person to look at.
"""

import csv
import io
from pathlib import Path

import pytest

from tests.browser import ARTIFACTS, BrowserTestCase
from tests.shipped import load_shipped_data

PAGES = [
    ("dashboard", "/"),
    ("states", "/states/"),
    ("states-2011", "/states/?as_of=2011-09-16&status=signatory"),
    ("state-lb", "/states/lb/"),
    ("state-bg", "/states/bg/"),
    ("state-lb-history", "/states/lb/history/"),
    ("deadlines", "/deadlines/"),
    ("working-groups", "/working-groups/"),
    ("meetings", "/meetings/"),
    ("changes", "/changes/"),
    ("not-found", "/states/zz/"),
]


class ShippedSiteInABrowser:
    """A page at desktop width on the shipped data, and screenshots of it."""

    def setUp(self):
        load_shipped_data()
        self.page = self.browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)

    def tearDown(self):
        self.page.close()

    def open(self, path):
        response = self.page.goto(self.live_server_url + path)
        self.assertIsNotNone(response)
        return response

    def shoot(self, name, page=None):
        (page or self.page).screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
class PublicSiteBrowserTestCase(ShippedSiteInABrowser, BrowserTestCase):
    def test_the_dashboard_shows_counts_and_the_chart_without_javascript(self):
        """The dashboard renders its counts and SVG chart with JavaScript switched off."""
        context = self.browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(self.live_server_url + "/")
        self.assertEqual(page.locator("h1").inner_text(), "Treaty status today")
        # One chart per treaty shipped; each visible without JavaScript.
        charts = page.locator("figure svg.chart")
        self.assertEqual(charts.count(), 3)
        for i in range(3):
            self.assertTrue(charts.nth(i).is_visible())
        self.assertTrue(page.locator("svg.chart[aria-labelledby^='chart-ccm']").is_visible())
        self.assertIn("States Parties", page.locator(".stats").first.inner_text())
        page.locator("details.chart-data summary").first.click()
        self.assertTrue(page.locator("details.chart-data table").first.is_visible())
        context.close()

    def test_filtering_the_states_list_with_the_form(self):
        """Searching 'leb' and choosing 'State Party' leaves Lebanon, with removable chips."""
        self.open("/states/")
        self.page.get_by_label("Name or ISO code").fill("leb")
        self.page.get_by_label("Status", exact=True).select_option("party")
        self.page.get_by_role("button", name="Apply filters").click()
        self.page.wait_for_url("**/states/?*")
        rows = self.page.locator("table.states tbody tr")
        self.assertEqual(rows.count(), 1)
        self.assertIn("Lebanon", rows.first.inner_text())
        self.shoot("states-filtered")
        self.page.get_by_role("link", name="Remove filter Name or ISO code: leb").click()
        self.assertGreater(self.page.locator("table.states tbody tr").count(), 100)

    def test_sorting_by_a_column_heading(self):
        """Clicking 'Deposit' twice sorts by the latest deposit first."""
        self.open("/states/?status=party")
        self.page.locator("th.col-deposit_date a").click()
        self.page.locator("th.col-deposit_date a").click()
        self.assertEqual(self.page.locator("th.col-deposit_date").get_attribute("aria-sort"), "descending")

    def test_a_state_page_and_its_history(self):
        """From the list to Lebanon's page, then to its change history."""
        self.open("/states/?q=lebanon")
        self.page.get_by_role("link", name="Lebanon", exact=True).click()
        self.assertEqual(self.page.locator("h1").inner_text(), "Lebanon")
        self.assertIn("Timeline", self.page.content())
        self.page.get_by_role("link", name="History of every change to Lebanon's records").click()
        self.assertEqual(self.page.locator("h1").inner_text(), "Changes to Lebanon's records")
        self.assertGreater(self.page.locator("article.change").count(), 0)

    def test_downloading_the_csv_of_the_filtered_list(self):
        """The CSV link downloads the filtered list as a file that parses."""
        self.open("/states/?status=withdrawn")
        with self.page.expect_download() as info:
            self.page.get_by_role("link", name="CSV", exact=True).click()
        download = info.value
        self.assertRegex(download.suggested_filename, r"^states-ccm-\d{4}-\d{2}-\d{2}\.csv$")
        rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
        self.assertEqual([row["name"] for row in rows], ["Lithuania"])

    def test_the_skip_link_is_the_first_thing_a_keyboard_reaches(self):
        """Tab from the top focuses a visible 'Skip to main content' link."""
        self.open("/states/")
        self.page.keyboard.press("Tab")
        focused = self.page.evaluate("document.activeElement.textContent")
        self.assertEqual(focused.strip(), "Skip to main content")
        self.assertGreaterEqual(self.page.locator(".skip-link").bounding_box()["y"], 0)


# A class of its own: the longest browser test runs on one pytest-xdist worker while the
# class above runs on another (--dist loadscope).
@pytest.mark.browser
class EveryPageBrowserTestCase(ShippedSiteInABrowser, BrowserTestCase):
    def test_every_page_fits_a_375px_phone_and_is_screenshotted(self):
        """No page is wider than a 375px screen (tables scroll inside their wrapper)."""
        phone = self.browser.new_page(viewport={"width": 375, "height": 812})
        try:
            for name, path in PAGES:
                with self.subTest(page=name):
                    phone.goto(self.live_server_url + path)
                    overflow = phone.evaluate(
                        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                    )
                    self.assertLessEqual(overflow, 0, f"{path} overflows by {overflow}px")
                    self.shoot(f"{name}-phone", phone)
                    self.open(path)
                    self.shoot(f"{name}-desktop")
        finally:
            phone.close()
