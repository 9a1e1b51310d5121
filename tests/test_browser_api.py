"""The read API's documentation page in a real browser (Debian's Chromium through Playwright): Swagger UI
runs from the site's own static files under the site's Content-Security-Policy, with nothing blocked and
no request to another site, and reads the schema."""

from urllib.parse import urlsplit

import pytest

from tests.browser import BrowserTestCase


@pytest.mark.browser
class ApiDocsBrowserTestCase(BrowserTestCase):
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
