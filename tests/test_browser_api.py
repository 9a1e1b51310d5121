"""The read API's documentation page in a real browser (Debian's Chromium through Playwright): Swagger UI
runs from the site's own static files under the site's Content-Security-Policy, with nothing blocked and
no request to another site, and reads the schema."""

import os
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles.testing import StaticLiveServerTestCase

from tests.conftest import CHROMIUM
from tests.test_browser import CHROMIUM_ARGS

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.mark.browser
class ApiDocsBrowserTestCase(StaticLiveServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from playwright.sync_api import sync_playwright

        cls.playwright = sync_playwright().start()
        executable = CHROMIUM if os.path.exists(CHROMIUM) else "chromium"
        cls.browser = cls.playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()

    def test_swagger_ui_runs_under_the_csp_from_local_files(self):
        page = self.browser.new_page(viewport={"width": 390, "height": 800})
        problems, hosts = [], set()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
        page.goto(self.live_server_url + "/api/v1/docs")
        # Swagger UI lists the endpoints once it has read the schema.
        paths = page.locator(".opblock-summary-path")
        paths.first.wait_for(timeout=15000)
        shown = paths.all_inner_texts()
        self.assertIn("/api/v1/states/{iso2}", [text.replace("\u200b", "") for text in shown])
        self.assertEqual(len(shown), 11)
        page.close()
        self.assertEqual(hosts, {urlsplit(self.live_server_url).netloc})
        self.assertFalse([p for p in problems if "Content Security Policy" in p or "Refused" in p], problems)
        self.assertFalse(problems, problems)
