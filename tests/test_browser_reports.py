"""/reports/ in a real browser (Chromium through Playwright), with the shipped data:
it fits a phone, and its filters work without JavaScript."""

import pytest

from tests.browser import ARTIFACTS, BrowserTestCase
from tests.shipped import load_shipped_data

PAGES = [
    ("reports", "/reports/"),
    ("reports-2012", "/reports/?year=2012"),
    ("state-cl-reports", "/states/cl/"),
]


@pytest.mark.browser
class ReportsBrowserTestCase(BrowserTestCase):
    def setUp(self):
        load_shipped_data()

    def test_the_pages_fit_a_375px_phone(self):
        """No reports page is wider than a 375px screen (tables scroll inside their wrapper)."""
        phone = self.browser.new_page(viewport={"width": 375, "height": 812})
        try:
            for name, path in PAGES:
                with self.subTest(page=name):
                    phone.goto(self.live_server_url + path)
                    overflow = phone.evaluate(
                        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                    )
                    self.assertLessEqual(overflow, 0, f"{path} overflows by {overflow}px")
                    phone.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)
        finally:
            phone.close()

    def test_filtering_by_status_without_javascript(self):
        """Choosing 'Overdue' and applying lists only overdue reports, JavaScript switched off."""
        context = self.browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(self.live_server_url + "/reports/")
        page.get_by_label("Status", exact=True).select_option("overdue")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**/reports/?*")
        rows = page.locator("#listed-caption").locator("xpath=ancestor::table").locator("tbody tr")
        self.assertGreater(rows.count(), 5)
        for text in rows.all_inner_texts():
            self.assertIn("Overdue", text)
        context.close()
