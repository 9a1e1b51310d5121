"""Nothing lost, nothing broken: citations, crafted input, control characters, out-of-range values.

One test case per finding of the outside attack that these tests answer (the
concurrency findings are in test_concurrency.py, imports and backups in
test_import.py and test_backup.py).
"""

import base64
import datetime

import feedparser
from django.db.models import ProtectedError
from django.test import TestCase
from django.urls import reverse

from tests import factory
from tracker import history
from tracker.models import Meeting, Obligation, Participation, Source, State, Treaty

D = datetime.date


def crafted_cursor(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


class CitationsTestCase(TestCase):
    """Finding 4: deleting a source silently unlinked every citation."""

    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()
        cls.editor = factory.make_user("erin", groups=["editors"])

    def setUp(self):
        self.client.force_login(self.editor)

    def test_a_cited_source_cannot_be_deleted_and_the_page_says_why(self):
        """The delete page lists what cites it, offers to move the citations, and nothing is unlinked."""
        url = reverse("admin:tracker_source_delete", args=[self.w.untc.pk])
        page = self.client.get(url)
        self.assertContains(page, "would require deleting the following protected related objects")
        self.assertContains(page, "Move its citations to another source")
        self.client.post(url, {"post": "yes", "reason": "Duplicate"})
        self.assertTrue(Source.objects.filter(pk=self.w.untc.pk).exists())
        self.assertEqual(Participation.objects.filter(source=self.w.untc).count(), 7)
        with self.assertRaises(ProtectedError):
            self.w.untc.delete()

    def test_every_link_to_a_source_or_a_meeting_is_protected(self):
        """No foreign key of a tracked record is cleared silently when what it points to is deleted."""
        for model, field in self.w.untc.citing_fields():
            with self.subTest(model=model.__name__, field=field.name):
                self.assertNotEqual(field.remote_field.on_delete.__name__, "SET_NULL")
        designated = Meeting._meta.get_field("president_designated_at")
        self.assertEqual(designated.remote_field.on_delete.__name__, "PROTECT")

    def test_citations_move_to_another_source_each_with_its_history(self):
        """Moving the citations rewrites each record with a history row and the editor's reason."""
        target = factory.make_source("UN Treaty Collection, status as at 3 February 2026")
        url = reverse("admin:tracker_source_move", args=[self.w.untc.pk])
        self.assertContains(self.client.get(url), "7 participations")
        response = self.client.post(url, {"target": target.pk, "reason": "Two records of one document"})
        self.assertRedirects(response, reverse("admin:tracker_source_change", args=[self.w.untc.pk]))
        self.assertFalse(Participation.objects.filter(source=self.w.untc).exists())
        lebanon = Participation.objects.get(pk=self.w.lb.pk)
        self.assertEqual(lebanon.source, target)
        newest = lebanon.history.order_by("-history_date", "-history_id").first()
        self.assertEqual(
            (newest.source_id, newest.history_change_reason, newest.history_user),
            (target.pk, "Two records of one document", self.editor),
        )
        self.client.post(
            reverse("admin:tracker_source_delete", args=[self.w.untc.pk]), {"post": "yes", "reason": "Moved"}
        )
        self.assertFalse(Source.objects.filter(pk=self.w.untc.pk).exists())

    def test_moving_needs_a_target_and_a_reason(self):
        """Without a target or a reason, nothing moves and the form says why."""
        url = reverse("admin:tracker_source_move", args=[self.w.untc.pk])
        response = self.client.post(url, {"target": "", "reason": ""})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "This field is required.")
        self.assertEqual(Participation.objects.filter(source=self.w.untc).count(), 7)


class CraftedCursorTestCase(TestCase):
    """Finding 5: a crafted paging cursor answered 500 (offset +14:00 on year 1, or +16:00)."""

    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def test_cursors_out_of_range_are_refused_in_words(self):
        """Year 1 at +14:00, year 9999 and a huge id: ignored on pages, 400 in the feed."""
        for text in (
            "0001-01-01T00:00:00+14:00|state|1",
            "9999-12-31T23:59:59+00:00|state|1",
            "2020-01-01T00:00:00+00:00|state|99999999999999999999999",
        ):
            cursor = crafted_cursor(text)
            with self.subTest(cursor=text):
                for url in (reverse("change-list"), reverse("state-history", args=["lb"])):
                    response = self.client.get(url, {"before": cursor})
                    self.assertEqual(response.status_code, 200)
                    self.assertContains(response, "This link to older changes is not valid.")
                self.assertEqual(self.client.get(reverse("change-feed"), {"before": cursor}).status_code, 400)
                with self.assertRaisesMessage(ValueError, "not valid"):
                    history.decode_cursor(cursor)

    def test_an_offset_of_sixteen_hours_is_read_as_the_same_moment_in_utc(self):
        """+16:00 was a database error; the cursor is now read in UTC and pages on."""
        cursor = crafted_cursor("2020-01-01T00:00:00+16:00|state|1")
        self.assertEqual(
            history.decode_cursor(cursor)[0], datetime.datetime(2019, 12, 31, 8, tzinfo=datetime.UTC)
        )
        for url in (reverse("change-list"), reverse("change-feed"), reverse("state-history", args=["lb"])):
            self.assertEqual(self.client.get(url, {"before": cursor}).status_code, 200, url)

    def test_the_audit_log_refuses_them_too(self):
        """The admin's audit log shows the form's error instead."""
        self.client.force_login(factory.make_user("rita", groups=["reviewers"]))
        cursor = crafted_cursor("0001-01-01T00:00:00+14:00|state|1")
        response = self.client.get(reverse("admin:tracker_audit_log"), {"before": cursor})
        self.assertContains(response, "This link to older changes is not valid.")
        response = self.client.get(reverse("admin:tracker_audit_log"), {"end": "9999-12-31"})
        self.assertContains(response, "Give a date between 1900 and 2999.")
        response = self.client.get(reverse("admin:tracker_audit_log_csv"), {"end": "9999-12-31"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Give a date between 1900 and 2999.")


class ControlCharactersTestCase(TestCase):
    """Finding 6: one control character took the public Atom feed down for everyone."""

    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()
        cls.editor = factory.make_user("erin", groups=["editors"])

    def test_forms_refuse_control_characters_in_text_and_reasons(self):
        """A form feed in the notes, or an escape in the reason, is refused in words; nothing is saved."""
        self.client.force_login(self.editor)
        url = factory.admin_change_url(self.w.lb)
        for changes in ({"notes": "Declaration\x0cof Art. 21"}, {"notes": "x", "reason": "\x1b[31mred"}):
            with self.subTest(changes=changes):
                data = factory.admin_post_data(self.client.get(url), **{"reason": "Because", **changes})
                response = self.client.post(url, data)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "control character (U+00")
        self.w.lb.refresh_from_db()
        self.assertEqual(self.w.lb.notes, "")

    def test_a_browsers_line_breaks_are_kept_as_plain_newlines(self):
        """CR LF from a textarea is stored as LF, not refused."""
        self.client.force_login(self.editor)
        url = factory.admin_change_url(self.w.lb)
        data = factory.admin_post_data(self.client.get(url), notes="One.\r\nTwo.", reason="Two lines")
        self.assertEqual(self.client.post(url, data).status_code, 302)
        self.w.lb.refresh_from_db()
        self.assertEqual(self.w.lb.notes, "One.\nTwo.")

    def test_the_feed_and_downloads_survive_whatever_is_stored(self):
        """Control characters written past the forms (raw updates) never reach the feed, CSV or JSON."""
        lebanon = State.objects.get(pk=self.w.lebanon.pk)
        lebanon.name = "Leb\x0canon\x1b"
        lebanon._change_reason = "Raw\x07 reason"
        lebanon.save()
        response = self.client.get(reverse("change-feed"))
        self.assertEqual(response.status_code, 200)
        feed = feedparser.parse(response.content)
        self.assertFalse(feed.bozo, feed.get("bozo_exception"))
        for name in ("states-csv", "states-json", "deadlines-json", "deadlines-csv", "deadlines-ics"):
            with self.subTest(download=name):
                body = self.client.get(reverse(name)).content.decode()
                self.assertNotIn("\x0c", body)
                self.assertNotIn("\x1b", body)


class EditorInputTestCase(TestCase):
    """Finding 7: editor input that answered 500."""

    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()
        cls.editor = factory.make_user("erin", groups=["editors"])
        cls.admin = factory.make_user("root", superuser=True)

    def setUp(self):
        self.client.force_login(self.editor)

    def test_dates_near_the_end_of_the_calendar_are_refused_in_words(self):
        """A deposit on 31 December 9999 would make entry into force overflow: refused, nothing saved."""
        url = factory.admin_change_url(self.w.lb)
        for value in ("9999-12-31", "0001-01-01", "3000-01-01"):
            data = factory.admin_post_data(self.client.get(url), deposit_date=value, reason="Typo")
            response = self.client.post(url, data)
            self.assertEqual(response.status_code, 200, value)
            self.assertContains(response, "Give a date between 1900 and 2999.")
        self.w.lb.refresh_from_db()
        self.assertEqual(self.w.lb.deposit_date, D(2010, 11, 5))

    def test_treaty_rules_are_bounded_to_what_treaties_use(self):
        """stockpile_years = 9000 is refused with the limit, and every participation still saves."""
        self.client.force_login(self.admin)
        url = factory.admin_change_url(self.w.treaty)
        for field, value, message in (
            ("stockpile_years", "9000", "Ensure this value is"),
            ("eif_instruments", "0", "Ensure this value is"),
            ("withdrawal_period", "600", "A withdrawal period in months is from 1 to 60."),
        ):
            data = factory.admin_post_data(self.client.get(url), **{field: value, "reason": "Typo"})
            response = self.client.post(url, data)
            self.assertEqual(response.status_code, 200, field)
            self.assertContains(response, message)
        self.assertEqual(Treaty.objects.get(pk=self.w.treaty.pk).stockpile_years, 8)

    def test_a_word_in_a_foreign_key_field_is_refused_not_a_crash(self):
        """'abc' in an autocomplete field redraws the form with "Select a valid choice"."""
        url = factory.admin_change_url(self.w.lb)
        data = factory.admin_post_data(self.client.get(url), source="abc", reason="Typo")
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Select a valid choice")

    def test_a_word_as_a_records_id_is_not_found(self):
        """/admin/tracker/<model>/abc/history/ is a 404 for any editor."""
        for model in ("participation", "obligation", "treaty", "state"):
            self.assertEqual(self.client.get(f"/admin/tracker/{model}/abc/history/").status_code, 404)

    def test_an_impossible_year_in_a_list_is_dropped_with_a_message(self):
        """?deposit_date__year=99999999999999999999 redirects to the list without it, and says so."""
        url = reverse("admin:tracker_participation_changelist")
        response = self.client.get(url, {"deposit_date__year": "99999999999999999999"})
        self.assertRedirects(response, url, fetch_redirect_response=False)
        self.assertContains(self.client.get(url), "Not understood, and removed from the filters")

    def test_a_nul_character_anywhere_in_the_admin_is_a_400_in_words(self):
        """%00 in a list filter, a search or an autocomplete term is refused before any query."""
        for url in (
            reverse("admin:tracker_participation_changelist") + "?treaty__id__exact=%00",
            reverse("admin:tracker_state_changelist") + "?q=a%00b",
            reverse("admin:autocomplete")
            + "?app_label=tracker&model_name=participation&field_name=state&term=%00",
        ):
            response = self.client.get(url)
            self.assertEqual(response.status_code, 400, url)
            self.assertIn("NUL character", response.content.decode())


class RuleChangeTestCase(TestCase):
    """Finding 11: raising stockpile_years from 8 to 9 left Norway's deadline unchanged."""

    def test_a_rule_change_recomputes_every_deadline_with_a_history_row(self):
        """Norway (EIF 1 Aug 2010): 1 Aug 2018, then 1 Aug 2019 after the edit, with history."""
        treaty = factory.make_treaty(eif_instruments=1)
        norway = factory.make_participation(
            treaty,
            factory.make_state("NO", "Norway"),
            signature_date=D(2008, 12, 3),
            deposit_date=D(2008, 12, 3),
        )
        stockpile = Obligation.objects.get(participation=norway, kind="stockpile")
        self.assertEqual(stockpile.current_deadline, D(2017, 6, 1))
        treaty = Treaty.objects.get(pk=treaty.pk)
        treaty.stockpile_years = 9
        treaty._change_reason = "Rule corrected"
        treaty.save()
        stockpile.refresh_from_db()
        self.assertEqual(stockpile.current_deadline, D(2018, 6, 1))
        self.assertEqual(stockpile.history.latest().current_deadline, D(2018, 6, 1))
