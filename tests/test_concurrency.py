"""No lost update: a save from a form loaded before someone else's save is refused, in words."""

import datetime
import threading
from unittest import mock

import pytest
from django.db import connection
from django.test import Client, TestCase, TransactionTestCase

from tests import factory
from tracker.admin.forms import VersionCheckMixin
from tracker.models import Participation, RatificationStep

D = datetime.date


class ConflictTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.alice = factory.make_user("alice", groups=["editors"])
        cls.bob = factory.make_user("bob", groups=["editors"])

    def setUp(self):
        self.first, self.second = Client(), Client()
        self.first.force_login(self.alice)
        self.second.force_login(self.bob)
        self.url = factory.admin_change_url(self.w.lb)

    def _both_open_the_form(self):
        return self.first.get(self.url), self.second.get(self.url)

    def test_the_second_save_is_refused_and_says_what_changed(self):
        """Bob's save after Alice's is refused with her name and the field's old and new values."""
        page_a, page_b = self._both_open_the_form()
        r = self.first.post(
            self.url, factory.admin_post_data(page_a, deposit_date="2010-11-08", reason="Notification date")
        )
        self.assertEqual(r.status_code, 302)
        r = self.second.post(
            self.url, factory.admin_post_data(page_b, notes="Declaration on Art. 21", reason="Declaration")
        )
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "was saved by alice")
        self.assertContains(r, "Deposit date: 5 November 2010 → 8 November 2010")
        self.assertContains(r, "reason given: “Notification date”")
        self.w.lb.refresh_from_db()
        self.assertEqual((self.w.lb.deposit_date, self.w.lb.notes), (D(2010, 11, 8), ""))

    def test_the_refused_input_is_kept_and_a_second_save_applies_it(self):
        """Bob's notes stay in the form, Alice's date shows in it, and saving again keeps both."""
        page_a, page_b = self._both_open_the_form()
        self.first.post(self.url, factory.admin_post_data(page_a, deposit_date="2010-11-08", reason="Date"))
        refused = self.second.post(
            self.url, factory.admin_post_data(page_b, notes="Declaration on Art. 21", reason="Declaration")
        )
        form = refused.context["adminform"].form
        self.assertEqual(form["notes"].value(), "Declaration on Art. 21")
        self.assertEqual(form["deposit_date"].value(), "2010-11-08")  # untouched by Bob: refreshed
        self.assertEqual(form["reason"].value(), "Declaration")
        self.w.lb.refresh_from_db()
        self.assertEqual(int(form["version"].value()), self.w.lb.version)

        r = self.second.post(self.url, factory.admin_post_data(refused))
        self.assertEqual(r.status_code, 302)
        self.w.lb.refresh_from_db()
        self.assertEqual(
            (self.w.lb.deposit_date, self.w.lb.notes), (D(2010, 11, 8), "Declaration on Art. 21")
        )
        self.assertEqual(self.w.lb.history.latest().history_user, self.bob)

    def test_a_field_both_changed_keeps_the_second_editors_value_and_says_so(self):
        """When both typed a deposit date, Bob sees Alice's and keeps his own in the form."""
        page_a, page_b = self._both_open_the_form()
        self.first.post(self.url, factory.admin_post_data(page_a, deposit_date="2010-11-08", reason="A"))
        refused = self.second.post(
            self.url, factory.admin_post_data(page_b, deposit_date="2010-11-09", reason="B")
        )
        self.assertContains(refused, "you changed this field too")
        self.assertEqual(refused.context["adminform"].form["deposit_date"].value(), "2010-11-09")

    def test_a_changed_inline_row_is_a_conflict(self):
        """Two editors change the same ratification step: the second is refused on that row."""
        page_a, page_b = self._both_open_the_form()
        r = self.first.post(
            self.url,
            factory.admin_post_data(page_a, reason="Wording", **{"steps-0-description": "Approved."}),
        )
        self.assertEqual(r.status_code, 302)
        r = self.second.post(
            self.url, factory.admin_post_data(page_b, reason="Date", **{"steps-0-date": "2010-08-18"})
        )
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "This ratification step was saved by alice")
        self.assertContains(r, "Description: “A step.” → “Approved.”")
        self.w.step.refresh_from_db()
        self.assertEqual((self.w.step.date, self.w.step.description), (D(2010, 8, 17), "Approved."))

    def test_an_inline_row_deleted_meanwhile_is_a_conflict(self):
        """Bob edits a step Alice has deleted: he is told, with her name, and nothing is saved."""
        page_b = self.second.get(self.url)
        self.first.post(
            factory.admin_change_url(self.w.step, "delete"), {"post": "yes", "reason": "Duplicate"}
        )
        r = self.second.post(
            self.url, factory.admin_post_data(page_b, reason="Date", **{"steps-0-date": "2010-08-18"})
        )
        self.assertEqual(r.status_code, 200)
        self.assertContains(r, "This ratification step was deleted by alice")
        self.assertFalse(RatificationStep.objects.filter(pk=self.w.step.pk).exists())

    def test_an_inline_row_changed_meanwhile_but_left_alone_is_not_saved_over(self):
        """Bob edits the notes only; Alice's change to a step in the same page survives his save."""
        page_a, page_b = self._both_open_the_form()
        self.first.post(
            self.url,
            factory.admin_post_data(page_a, reason="Wording", **{"steps-0-description": "Approved."}),
        )
        # Bob's page still shows the old step text; he did not touch it.
        r = self.second.post(self.url, factory.admin_post_data(page_b, notes="Declaration", reason="Decl."))
        self.assertEqual(r.status_code, 302)
        self.w.step.refresh_from_db()
        self.w.lb.refresh_from_db()
        self.assertEqual((self.w.step.description, self.w.lb.notes), ("Approved.", "Declaration"))

    def test_a_form_from_before_a_recomputation_is_accepted_with_the_new_dates(self):
        """A rule change re-saves the participation's computed dates only: Bob's later save loses nothing."""
        page_b = self.second.get(self.url)
        treaty = self.w.treaty
        treaty.eif_period = 7
        treaty.save()
        r = self.second.post(self.url, factory.admin_post_data(page_b, notes="Declaration", reason="Decl."))
        self.assertEqual(r.status_code, 302)
        self.w.lb.refresh_from_db()
        self.assertEqual((self.w.lb.notes, self.w.lb.entry_into_force_date), ("Declaration", D(2011, 6, 1)))

    def test_a_save_that_changed_nothing_in_the_form_is_no_conflict(self):
        """Alice saving the step without changes does not stop Bob's edit of the step."""
        page_a, page_b = self._both_open_the_form()
        self.assertEqual(
            self.first.post(self.url, factory.admin_post_data(page_a, reason="Checked")).status_code, 302
        )
        r = self.second.post(
            self.url, factory.admin_post_data(page_b, reason="Date", **{"steps-0-date": "2010-08-18"})
        )
        self.assertEqual(r.status_code, 302)
        self.w.step.refresh_from_db()
        self.assertEqual(self.w.step.date, D(2010, 8, 18))

    def test_a_form_without_its_version_is_refused(self):
        """A post that lost its hidden version cannot overwrite anything."""
        data = factory.admin_post_data(self.first.get(self.url), notes="x", reason="y")
        del data["version"]
        r = self.first.post(self.url, data)
        self.assertContains(r, "missing the version")


@pytest.mark.postgres
class ConcurrentWritersTestCase(TransactionTestCase):
    """Two editors save the same record at the same moment, on two database connections."""

    def setUp(self):
        self.w = factory.make_admin_world()
        # Superusers: an earlier transactional test may have flushed the role groups away.
        self.users = [factory.make_user(name, superuser=True) for name in ("alice", "bob")]
        self.url = factory.admin_change_url(self.w.lb)

    def test_exactly_one_of_two_concurrent_saves_wins(self):
        """Both post at once; the row lock makes one wait, and it then sees the other's version."""
        clients = []
        for user in self.users:
            client = Client()
            client.force_login(user)
            clients.append(client)
        pages = [client.get(self.url) for client in clients]
        posts = [
            factory.admin_post_data(pages[0], notes="Alice's note", reason="Alice"),
            factory.admin_post_data(pages[1], notes="Bob's note", reason="Bob"),
        ]
        barrier = threading.Barrier(2)
        responses = [None, None]
        check = VersionCheckMixin.check_version

        def slow_check(form):
            # Hold the row lock a moment, so that both requests are surely in flight together.
            result = check(form)
            if isinstance(form.instance, Participation):
                threading.Event().wait(0.5)
            return result

        def save(i):
            try:
                barrier.wait()
                responses[i] = clients[i].post(self.url, posts[i])
            finally:
                connection.close()

        with mock.patch.object(VersionCheckMixin, "check_version", slow_check):
            threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)

        codes = sorted(r.status_code for r in responses)
        self.assertEqual(codes, [200, 302])
        loser = next(r for r in responses if r.status_code == 200)
        self.assertContains(loser, "since you opened it")
        self.w.lb.refresh_from_db()
        winner = "Alice" if responses[0].status_code == 302 else "Bob"
        self.assertEqual(self.w.lb.notes, f"{winner}'s note")
        saves = self.w.lb.history.filter(history_change_reason__in=["Alice", "Bob"])
        self.assertEqual(saves.count(), 1)
