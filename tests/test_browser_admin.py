"""The admin in a real browser at 1280 px: nothing overflows, the index's tools read as words.

Skipped where Debian's Chromium is missing (as on the machine these were written on: run them
in CI, which installs it)."""

import pytest
from django.conf import settings
from django.test import Client

from tests import factory
from tests.browser import ARTIFACTS, BrowserTestCase
from tests.shipped import load_shipped_data
from tracker.models import Participation


@pytest.mark.browser
class AdminBrowserTestCase(BrowserTestCase):
    def setUp(self):
        load_shipped_data()
        client = Client()
        client.force_login(factory.make_user("sue", superuser=True))
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": self.live_server_url,
                }
            ]
        )
        self.page = context.new_page()

    def tearDown(self):
        self.page.context.close()

    def width_of(self, path, name):
        response = self.page.goto(self.live_server_url + path)
        self.assertEqual(response.status, 200, path)
        self.page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)
        return self.page.evaluate("document.documentElement.scrollWidth")

    def test_the_index_names_the_site_and_its_tools_read_as_words(self):
        self.width_of("/admin/", "index")
        self.assertIn("Treaty Implementation Tracker", self.page.inner_text("#site-name"))
        link = self.page.get_by_role("link", name="Audit log").bounding_box()
        self.assertGreater(link["width"], link["height"] * 2)
        models = self.page.eval_on_selector_all(
            ".app-tracker th[scope=row] a", "links => links.map(a => a.textContent)"
        )
        self.assertEqual(models[:2], ["Participations", "Declarations"])
        self.assertEqual(models[-1], "Sources")

    def test_lists_and_change_pages_fit_1280_pixels(self):
        lithuania = Participation.objects.get(state__iso2="LT", treaty__slug="ccm")
        for name, path in (
            ("participations", "/admin/tracker/participation/"),
            ("participation", f"/admin/tracker/participation/{lithuania.pk}/change/"),
            ("obligations", "/admin/tracker/obligation/"),
            ("treaty", f"/admin/tracker/treaty/{lithuania.treaty_id}/change/"),
            ("audit", "/admin/tracker/treaty/audit/"),
            ("reconcile", "/admin/tracker/treaty/reconcile/"),
            ("action", "/admin/tracker/treaty/action/"),
        ):
            with self.subTest(name):
                self.assertLessEqual(self.width_of(path, name), 1280)
        self.page.goto(self.live_server_url + "/admin/tracker/participation/")
        for header in ("Deposit date", "Entry into force"):
            box = self.page.locator("#result_list thead th", has_text=header).first.bounding_box()
            self.assertIsNotNone(box, header)
            self.assertLessEqual(box["x"] + box["width"], 1280, header)
