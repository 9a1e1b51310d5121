"""The audit log: every edit across all records, filterable, cursor-paginated and downloadable as CSV."""

import csv
import datetime
import io
from unittest import mock

from django.test import TestCase
from django.utils import timezone

from tests import factory
from tracker.admin.audit import CSV_COLUMNS

D = datetime.date
URL = "/admin/tracker/treaty/audit/"
CSV_URL = "/admin/tracker/treaty/audit/export.csv"


def read_csv(response):
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


class AuditLogTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.erin = factory.make_user("erin", groups=["editors"])
        cls.ed = factory.make_user("ed", groups=["editors"])
        cls.reviewer = factory.make_user("rita", groups=["reviewers"])
        factory.edit_as(cls.w.lb, cls.erin, "Depositary notification", deposit_date=D(2010, 11, 8))
        factory.edit_as(cls.w.albania, cls.ed, "UN spelling", name="Republic of Albania")
        factory.edit_as(cls.w.meeting, cls.erin, '=HYPERLINK("http://evil")', city="Beyrouth")

    def setUp(self):
        self.client.force_login(self.reviewer)

    def test_it_lists_edits_with_field_diffs_editors_and_reasons(self):
        """The newest edits come first, each with old → new values, the editor and the reason."""
        r = self.client.get(URL)
        self.assertEqual(r.status_code, 200)
        changes = r.context["changes"]
        self.assertEqual(changes[0].object_repr, "2MSP")
        self.assertContains(r, "Depositary notification")
        self.assertContains(r, "<del>5 November 2010</del> → <ins>8 November 2010</ins>", html=False)
        self.assertContains(r, "Republic of Albania")

    def test_it_filters_by_editor(self):
        """Only Ed's edit is shown when filtering by Ed."""
        r = self.client.get(URL, {"editor": self.ed.pk})
        self.assertEqual([c.username for c in r.context["changes"]], ["ed"])

    def test_it_filters_by_kind_and_state(self):
        """Participations of Lebanon: its creation and Erin's change, nothing about Albania."""
        r = self.client.get(URL, {"kind": "participation", "state": "LB"})
        changes = r.context["changes"]
        self.assertEqual({c.kind for c in changes}, {"participation"})
        self.assertEqual({c.state_iso2 for c in changes}, {"lb"})
        self.assertEqual([c.action for c in changes][:1], ["changed"])

    def test_it_filters_by_date_range(self):
        """A range in the past shows nothing; one including today shows the edits."""
        today = timezone.now().date()
        r = self.client.get(URL, {"start": "2001-01-01", "end": "2001-12-31"})
        self.assertEqual(r.context["changes"], [])
        r = self.client.get(URL, {"start": today.isoformat(), "end": today.isoformat()})
        self.assertTrue(r.context["changes"])

    def test_bad_filters_are_explained_not_crashed_on(self):
        """An end before the start, an unknown kind or a forged cursor give form errors and a 200."""
        for params in ({"start": "2012-01-01", "end": "2011-01-01"}, {"kind": "nope"}, {"before": "garbage"}):
            with self.subTest(params=params):
                r = self.client.get(URL, params)
                self.assertEqual(r.status_code, 200)
                self.assertTrue(r.context["form"].errors)

    def test_it_pages_by_cursor_without_overlap(self):
        """The 'older edits' link continues exactly where the page ended."""
        with mock.patch("tracker.admin.audit.PAGE_SIZE", 3):
            first = self.client.get(URL)
            self.assertEqual(len(first.context["changes"]), 3)
            self.assertTrue(first.context["next_query"])
            second = self.client.get(f"{URL}?{first.context['next_query']}")
        ids = lambda r: [(c.kind, c.history_id) for c in r.context["changes"]]  # noqa: E731
        self.assertFalse(set(ids(first)) & set(ids(second)))
        self.assertTrue(ids(second))

    def test_deleted_records_are_in_the_log(self):
        """A deletion is listed with its action, reason and the values it had."""
        self.client.force_login(self.erin)
        self.client.post(
            factory.admin_change_url(self.w.step, "delete"), {"post": "yes", "reason": "Duplicate"}
        )
        self.client.force_login(self.reviewer)
        r = self.client.get(URL, {"kind": "step"})
        self.assertEqual(r.context["changes"][0].action, "deleted")
        self.assertEqual(r.context["changes"][0].reason, "Duplicate")

    def test_the_csv_has_one_row_per_changed_field_with_the_same_filters(self):
        """Erin's participation edit is one CSV row: when, editor, kind, object, field, old, new, reason, action."""
        r = self.client.get(CSV_URL, {"editor": self.erin.pk, "kind": "participation"})
        self.assertEqual(r["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("attachment;", r["Content-Disposition"])
        rows = read_csv(r)
        self.assertEqual(tuple(rows[0].keys()), CSV_COLUMNS)
        changed = [row for row in rows if row["field"] == "Deposit date"]
        self.assertEqual(len(changed), 1)
        row = changed[0]
        self.assertEqual(
            (row["editor"], row["kind"], row["old"], row["new"], row["reason"], row["action"]),
            (
                "erin",
                "Participation",
                "5 November 2010",
                "8 November 2010",
                "Depositary notification",
                "changed",
            ),
        )
        self.assertEqual({row["editor"] for row in rows}, {"erin"})

    def test_the_csv_cannot_smuggle_spreadsheet_formulas(self):
        """A reason that looks like a formula is written so a spreadsheet shows it as text."""
        rows = read_csv(self.client.get(CSV_URL, {"kind": "meeting", "editor": self.erin.pk}))
        self.assertTrue(rows[0]["reason"].startswith("'="))

    def test_the_csv_covers_more_than_one_batch(self):
        """Export reads the history in batches by cursor and loses no row between them."""
        with mock.patch("tracker.admin.audit.EXPORT_BATCH", 2):
            batched = read_csv(self.client.get(CSV_URL))
        whole = read_csv(self.client.get(CSV_URL))
        self.assertEqual(batched, whole)
        self.assertGreater(len(whole), 10)
