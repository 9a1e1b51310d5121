"""The French and Spanish pages pass the same accessibility checks as the English ones (axe-core).

Most checks of the languages are quick test-client tests (tests/test_i18n.py); here a real
browser runs axe-core (through axe-playwright-python) on a few key pages in each language,
and a phone-width page must not scroll sideways with the longer French and Spanish labels.
Screenshots go to test-artifacts/ (git-ignored).
"""

import pytest

from tests.browser import ARTIFACTS, BrowserTestCase
from tests.shipped import load_shipped_data
from tracker.models import Meeting

LANGUAGES = {"en": "", "fr": "/fr", "es": "/es"}


class KeyPagesInOneLanguage:
    """One language's key pages in a browser: a class per language, so that pytest-xdist's
    workers share the three languages (each class runs on one worker, --dist loadscope)."""

    language = None  # set by each subclass below

    def test_key_pages_pass_axe(self):
        """No axe-core violation on the dashboard, /states/, a State, /deadlines/ and a meeting;
        the header fits a phone. (One test: the shipped data is loaded once.)"""
        from axe_playwright_python.sync_playwright import Axe

        load_shipped_data()
        axe = Axe()
        language, prefix = self.language, LANGUAGES[self.language]
        meeting = Meeting.objects.order_by("pk").first()
        paths = ["/", "/states/", "/states/lb/", "/deadlines/", meeting.get_absolute_url()]
        page = self.browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            for path in paths:
                with self.subTest(path=path):
                    response = page.goto(self.live_server_url + prefix + path)
                    self.assertEqual(response.status, 200)
                    self.assertEqual(page.locator("html").get_attribute("lang"), language)
                    current = page.locator(".language-list a[aria-current='true']")
                    self.assertEqual(current.get_attribute("hreflang"), language)
                    results = axe.run(page)
                    self.assertEqual(results.violations_count, 0, results.generate_report())
            page.locator(".site-header").screenshot(path=str(ARTIFACTS / f"i18n-header-{language}-1280.png"))
            # At 390 px the longer French and Spanish labels wrap: nothing scrolls sideways.
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(self.live_server_url + prefix + "/states/lb/")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            self.assertLessEqual(overflow, 0)
            page.screenshot(path=str(ARTIFACTS / f"i18n-state-lb-{language}-390.png"))
        finally:
            page.close()


@pytest.mark.browser
class EnglishBrowserTestCase(KeyPagesInOneLanguage, BrowserTestCase):
    language = "en"


@pytest.mark.browser
class FrenchBrowserTestCase(KeyPagesInOneLanguage, BrowserTestCase):
    language = "fr"


@pytest.mark.browser
class SpanishBrowserTestCase(KeyPagesInOneLanguage, BrowserTestCase):
    language = "es"
