"""The Speaker field in a real browser at 1280 px: typing "leb" in a statement row offers
"Lebanon — State", choosing it and saving the meeting records Lebanon as the speaker.

Skipped where Chromium is missing, like the other browser tests."""

import pytest
from django.conf import settings
from django.test import Client

from tests import factory
from tests.browser import ARTIFACTS, BrowserTestCase
from tracker.models import AgendaTopic, Organisation, Statement


@pytest.mark.browser
class SpeakerBrowserTests(BrowserTestCase):
    def setUp(self):
        self.w = factory.make_admin_world()
        self.topic = AgendaTopic.objects.create(slug="universalization", name="Universalization")
        self.icrc = Organisation.objects.create(
            slug="icrc",
            name="International Committee of the Red Cross",
            short_name="ICRC",
            kind=Organisation.Kind.RED_CROSS,
        )
        self.statement = Statement.objects.create(
            meeting=self.w.meeting,
            topic=self.topic,
            organisation=self.icrc,
            summary="Spoke.",
            source=self.w.source,
        )
        client = Client()
        client.force_login(factory.make_user("erin", groups=["editors"]))
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

    def test_a_speaker_is_found_by_typing_and_saved(self):
        page = self.page
        response = page.goto(self.live_server_url + factory.admin_change_url(self.w.meeting))
        self.assertEqual(response.status, 200)
        page.locator("summary", has_text="Statements").first.click()
        field = page.locator(".field-speaker .select2-container").first
        self.assertIn("International Committee of the Red Cross (ICRC) — organisation", field.inner_text())
        field.click()
        page.locator(".select2-search__field").fill("leb")
        page.locator(".select2-results__option", has_text="Lebanon — State").click()
        self.assertIn("Lebanon — State", field.inner_text())
        page.screenshot(path=str(ARTIFACTS / "admin-meeting-speaker.png"), full_page=True)
        self.assertLessEqual(page.evaluate("document.documentElement.scrollWidth"), 1280)
        box = field.bounding_box()
        self.assertLessEqual(box["x"] + box["width"], 1280)
        self.assertGreater(box["width"], 400)
        page.fill("#id_reason", "Speaker corrected from the summary")
        with page.expect_navigation():
            page.click("input[name=_continue]")
        self.statement.refresh_from_db()
        self.assertEqual((self.statement.state, self.statement.organisation), (self.w.lebanon, None))
