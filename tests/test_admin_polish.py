"""The admin a secretariat would accept: the site's name, models in working order, time zones,
precision fields that say 'none' while their date is empty, and wrong uploads refused in words."""

import datetime
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from tests import factory
from tests.test_depositary_files import APMBC, CCM

D = datetime.date


class AdminPolishTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.editor = factory.make_user("erin", groups=["editors"])

    def setUp(self):
        self.client.force_login(self.editor)

    def test_the_site_is_named_not_django(self):
        response = self.client.get(reverse("admin:index"))
        self.assertContains(response, "Treaty Implementation Tracker")
        self.assertNotContains(response, "Django administration")
        self.assertContains(response, "tracker/admin")  # the admin's own styles

    def test_the_models_are_listed_in_working_order(self):
        apps = self.client.get(reverse("admin:index")).context["app_list"]
        self.assertEqual(apps[0]["app_label"], "tracker")
        names = [m["object_name"] for m in apps[0]["models"]]
        self.assertEqual(names[:3], ["Participation", "Declaration", "RatificationStep"])
        self.assertLess(names.index("Obligation"), names.index("Meeting"))
        self.assertLess(names.index("Extension"), names.index("Meeting"))
        self.assertEqual(names[-1], "Source")

    def test_the_index_tools_are_styled_to_read_as_words(self):
        """The 'one letter per line' links: the row headings keep their words on one line."""
        css = Path(finders.find("tracker/admin.css")).read_text(encoding="utf-8")
        self.assertIn("#tracker-tools table th", css)
        self.assertIn("white-space: nowrap", css)
        self.assertContains(self.client.get(reverse("admin:index")), 'id="tracker-tools"')

    def test_audit_log_times_carry_their_time_zone(self):
        self.client.force_login(factory.make_user("rita", groups=["reviewers"]))
        response = self.client.get(reverse("admin:tracker_audit_log"))
        self.assertContains(response, " UTC</td>")

    def test_precision_says_none_while_the_date_is_empty(self):
        response = self.client.get(reverse("admin:tracker_source_add"))
        self.assertContains(response, '<option value="" selected>None while the date is empty')
        self.assertNotContains(response, '---------</option>\n\n  <option value="day">')

    def test_a_precision_is_set_only_with_its_date(self):
        source = factory.make_source(title="A report")
        source.date, source.date_precision = None, "month"
        source.full_clean()
        self.assertEqual(source.date_precision, "")
        source.date = D(2019, 9, 16)
        source.full_clean()
        self.assertEqual((source.date, source.date_precision), (D(2019, 9, 16), "day"))

    def test_the_participation_list_shows_the_treaty_short_name(self):
        response = self.client.get(reverse("admin:tracker_participation_changelist"))
        self.assertContains(response, "column-treaty_short_name")
        self.assertContains(response, "column-deposit_date")
        self.assertContains(response, "column-entry_into_force_date")


class WrongUploadTestCase(TestCase):
    """Every upload of the admin answers a file of the wrong kind with a sentence, never Python's text."""

    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.editor = factory.make_user("erin", groups=["editors"])

    def setUp(self):
        self.client.force_login(self.editor)

    def test_the_spreadsheet_import_refuses_the_depositary_page_in_words(self):
        for name, content in (
            ("status.html", CCM.read_bytes()),
            ("status.xml", b'<?xml version="1.0"?><Treaty/>'),
        ):
            with self.subTest(name):
                response = self.client.post(
                    reverse("admin:tracker_participation_import"),
                    {
                        "import_file": SimpleUploadedFile(name, content),
                        "format": "0",
                        "treaty": self.w.treaty.pk,
                        "reason": "x",
                    },
                )
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, "new-line character seen in unquoted field")
                self.assertContains(response, "not a CSV file")

    def test_the_reconcile_page_refuses_other_files_in_words(self):
        for content, words in (
            (b"iso2,deposit_date\nLB,2010-11-05\n", "Participant"),
            (APMBC.read_bytes()[:1000], "cut short"),
        ):
            with self.subTest(words):
                response = self.client.post(
                    reverse("admin:tracker_reconcile"),
                    {"treaty": self.w.treaty.pk, "status_file": SimpleUploadedFile("x", content)},
                )
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, words)
