"""The world map and the printed profile in a real browser (Debian's Chromium through Playwright),
with the shipped data. Screenshots go to test-artifacts/ (git-ignored) for a person to look at."""

import re

import pytest

from tests.browser import ARTIFACTS, BrowserTestCase
from tests.shipped import load_shipped_data


def pdf_pages(pdf):
    """The number of pages of a PDF Chromium wrote: its page tree's /Count, checked against its pages."""
    count = int(re.search(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf).group(1))
    assert count == len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    return count


@pytest.mark.browser
class MapAndPrintBrowserTestCase(BrowserTestCase):
    def setUp(self):
        load_shipped_data()

    def new_page(self, width=1280, javascript=True):
        context = self.browser.new_context(
            java_script_enabled=javascript, viewport={"width": width, "height": 900}
        )
        self.addCleanup(context.close)
        return context.new_page()

    def test_the_map_needs_no_javascript_and_each_state_leads_to_its_page(self):
        """Without JavaScript the dashboard and /states/ show the map; Australia's shape opens its page."""
        for width in (1280, 390):
            page = self.new_page(width, javascript=False)
            for name, path in (("dashboard", "/"), ("states", "/states/")):
                page.goto(self.live_server_url + path)
                figure = page.locator("figure.map-figure")
                self.assertTrue(figure.locator("svg.world-map").is_visible())
                self.assertIn("World map: the CCM on", figure.locator("figcaption").inner_text())
                self.assertIn("Non-signatory", figure.locator("ul.map-legend").inner_text())
                page.screenshot(path=str(ARTIFACTS / f"map-{name}-{width}.png"), full_page=True)
        page = self.new_page(javascript=False)
        page.goto(self.live_server_url + "/states/")
        page.locator('svg.world-map a[href="/states/au/"] path').click()
        page.wait_for_url("**/states/au/")
        self.assertEqual(page.locator("h1").inner_text(), "Australia")

    def test_lebanons_page_prints_on_at_most_two_a4_pages_with_its_sources_as_notes(self):
        """Printed, the page drops the navigation, numbers its sources and lists them at the end."""
        page = self.new_page(794)
        page.goto(self.live_server_url + "/states/lb/")
        pages = pdf_pages(page.pdf(format="A4"))
        self.assertGreaterEqual(pages, 1)
        self.assertLessEqual(pages, 2)
        page.emulate_media(media="print")
        self.assertFalse(page.locator(".site-header").is_visible())
        self.assertFalse(page.locator(".site-footer").is_visible())
        self.assertFalse(page.locator("main .source").first.is_visible())
        self.assertTrue(page.locator("sup.source-ref").first.is_visible())
        notes = page.locator("section.source-notes")
        self.assertTrue(notes.is_visible())
        self.assertIn("https://treaties.un.org/", notes.inner_text())
        for heading in (
            "Convention on Cluster Munitions",
            "Arms Trade Treaty",
            "At meetings",
            "Coordinator roles",
        ):
            self.assertTrue(page.get_by_role("heading", name=re.compile(heading)).first.is_visible())
        page.screenshot(path=str(ARTIFACTS / "print-state-lb.png"), full_page=True)
        # On screen nothing of this shows.
        page.emulate_media(media="screen")
        self.assertFalse(notes.is_visible())
        self.assertTrue(page.locator("main .source").first.is_visible())
