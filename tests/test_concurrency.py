"""No lost update: a save from a form loaded before someone else's save is refused, in words.

Also: a save writes from the row as stored, a deadlock is run again or answered in words, and
(on PostgreSQL) pairs of editors saving conflicting forms at the same moment lose nothing.
"""

import collections
import contextlib
import dataclasses
import datetime
import html.parser
import importlib
import itertools
import logging
import os
import re
import threading
import typing
from unittest import mock

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.db.models import Max
from django.template.base import Template
from django.test import Client, TestCase, TransactionTestCase
from django.urls import reverse

from tests import factory
from tracker.admin.forms import VersionCheckMixin
from tracker.migrations._roles import assign
from tracker.models import (
    TRACKED,
    Declaration,
    Extension,
    Obligation,
    Participation,
    RatificationStep,
    Treaty,
)

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


# --- a save writes from the row as stored ------------------------------------------------------


class StaleObjectTestCase(TestCase):
    """An object read before someone else's save writes back only what it changed itself (an import does this)."""

    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()

    def test_values_changed_meanwhile_are_kept(self):
        """A stale copy's save keeps the research notes saved meanwhile, and its own deposit date."""
        stale = Participation.objects.get(pk=self.w.lb.pk)
        factory.edit_as(
            Participation.objects.get(pk=self.w.lb.pk), None, "Notes", research_notes="Check C.N."
        )
        factory.edit_as(stale, None, "Date", deposit_date=D(2010, 12, 6))
        self.w.lb.refresh_from_db()
        self.assertEqual((self.w.lb.research_notes, self.w.lb.deposit_date), ("Check C.N.", D(2010, 12, 6)))
        self.assertEqual(self.w.lb.entry_into_force_date, D(2011, 6, 1))
        versions = list(self.w.lb.history.order_by("history_id").values_list("version", flat=True))
        self.assertEqual(versions, list(range(1, len(versions) + 1)))

    def test_computed_dates_follow_the_merged_values(self):
        """A deposit date saved meanwhile is kept, and the stale copy's save computes entry into force from it."""
        stale = Participation.objects.get(pk=self.w.lb.pk)
        factory.edit_as(Participation.objects.get(pk=self.w.lb.pk), None, "Date", deposit_date=D(2010, 12, 6))
        factory.edit_as(stale, None, "Notes", notes="Declaration")
        self.w.lb.refresh_from_db()
        self.assertEqual((self.w.lb.notes, self.w.lb.deposit_date), ("Declaration", D(2010, 12, 6)))
        self.assertEqual(self.w.lb.entry_into_force_date, D(2011, 6, 1))
        clearance = factory.obligation(self.w.lb, Obligation.Kind.CLEARANCE)
        self.assertEqual(clearance.original_deadline, D(2021, 6, 1))

    def test_an_obligation_read_with_its_extensions_counts_the_ones_added_since(self):
        """The admin reads an obligation with its extensions; one added meanwhile still marks a request pending."""
        stockpile = Obligation.objects.with_extensions().get(pk=factory.obligation(self.w.lb).pk)
        self.assertEqual(list(stockpile.extensions.all()), [])
        Extension.objects.create(obligation=stockpile, requested_on=D(2018, 1, 1))
        factory.edit_as(stockpile, None, "Progress", progress="Half done")
        stockpile.refresh_from_db()
        self.assertEqual((stockpile.progress, stockpile.extension_pending), ("Half done", True))


# --- deadlocks: run again, then answered in words ----------------------------------------------


class DeadlockDetected(Exception):
    """Stands for psycopg's DeadlockDetected, which Django wraps in an OperationalError."""

    sqlstate = "40P01"


def deadlock_on(model, method, times):
    """Patch ``model.method`` to fail as a PostgreSQL deadlock on its first ``times`` calls; counts every call."""
    original = getattr(model, method)
    calls = []

    def failing(self, *args, **kwargs):
        calls.append(self)
        if len(calls) <= times:
            error = OperationalError("deadlock detected")
            error.__cause__ = DeadlockDetected("deadlock detected")
            raise error
        return original(self, *args, **kwargs)

    return mock.patch.object(model, method, failing), calls


class DeadlockRetryTestCase(TestCase):
    """A write the database rolled back for a deadlock is run again; after three tries the editor is told, in words."""

    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.alice = factory.make_user("alice", groups=["editors"])

    def setUp(self):
        self.client.force_login(self.alice)
        self.url = factory.admin_change_url(self.w.lb)

    def post_notes(self):
        page = self.client.get(self.url)
        return self.client.post(self.url, factory.admin_post_data(page, notes="Declaration", reason="Decl."))

    def test_a_save_rolled_back_once_is_run_again_and_saved_once(self):
        """The second run saves: one new version, one history row with the editor and reason."""
        patch, calls = deadlock_on(Participation, "save", times=1)
        version = self.w.lb.version
        with patch:
            r = self.post_notes()
        self.assertEqual(r.status_code, 302)
        self.assertEqual(len(calls), 2)
        self.w.lb.refresh_from_db()
        self.assertEqual((self.w.lb.notes, self.w.lb.version), ("Declaration", version + 1))
        rows = self.w.lb.history.filter(history_change_reason="Decl.")
        self.assertEqual([row.history_user for row in rows], [self.alice])

    def test_a_save_rolled_back_three_times_gives_the_form_back_with_a_message(self):
        """After three runs the editor gets a 409 page saying so, with their input; saving again applies it."""
        patch, calls = deadlock_on(Participation, "save", times=3)
        with patch:
            r = self.post_notes()
        self.assertEqual(len(calls), 3)
        self.assertContains(
            r,
            "Another editor was saving related records at the same moment; nothing was saved. Save again.",
            status_code=409,
        )
        form = r.context["adminform"].form
        self.assertEqual((form["notes"].value(), form["reason"].value()), ("Declaration", "Decl."))
        self.w.lb.refresh_from_db()
        self.assertEqual(self.w.lb.notes, "")
        self.assertFalse(self.w.lb.history.filter(history_change_reason="Decl.").exists())

        r = self.client.post(self.url, factory.admin_post_data(r))
        self.assertEqual(r.status_code, 302)
        self.w.lb.refresh_from_db()
        self.assertEqual(self.w.lb.notes, "Declaration")

    def test_other_database_errors_are_not_run_again(self):
        """Only deadlocks and serialization failures are retried: any other error is not hidden."""
        patch = mock.patch.object(Participation, "save", side_effect=OperationalError("disk full"))
        with patch as save, self.assertRaises(OperationalError):
            self.post_notes()
        self.assertEqual(save.call_count, 1)

    def test_a_delete_rolled_back_once_is_run_again(self):
        """The step is deleted on the second run, with the reason in its history."""
        patch, calls = deadlock_on(RatificationStep, "delete", times=1)
        with patch:
            r = self.client.post(
                factory.admin_change_url(self.w.step, "delete"), {"post": "yes", "reason": "Duplicate"}
            )
        self.assertEqual((r.status_code, len(calls)), (302, 2))
        self.assertFalse(RatificationStep.objects.filter(pk=self.w.step.pk).exists())
        self.assertEqual(self.w.step.history.latest().history_change_reason, "Duplicate")

    def test_a_delete_rolled_back_three_times_asks_to_confirm_again(self):
        """Nothing is deleted; the confirmation page says why and keeps the reason typed."""
        patch, calls = deadlock_on(RatificationStep, "delete", times=3)
        with patch:
            r = self.client.post(
                factory.admin_change_url(self.w.step, "delete"), {"post": "yes", "reason": "Duplicate"}
            )
        self.assertContains(r, "nothing was deleted. Confirm again.", status_code=409)
        self.assertContains(r, "Duplicate</textarea>", status_code=409)
        self.assertTrue(RatificationStep.objects.filter(pk=self.w.step.pk).exists())

    def test_a_revert_rolled_back_once_is_run_again(self):
        """The revert goes through on the second run, recorded once."""
        original = self.w.lb.history.latest()
        factory.edit_as(self.w.lb, self.alice, "Wrong date", deposit_date=D(2011, 2, 10))
        url = f"/admin/tracker/participation/{self.w.lb.pk}/history/{original.history_id}/"
        patch, calls = deadlock_on(Participation, "save", times=1)
        with patch:
            r = self.client.post(url, factory.admin_post_data(self.client.get(url), reason="Back"))
        self.assertEqual((r.status_code, len(calls)), (302, 2))
        self.w.lb.refresh_from_db()
        self.assertEqual(self.w.lb.deposit_date, D(2010, 11, 5))
        self.assertEqual(self.w.lb.history.filter(history_change_reason__endswith=": Back").count(), 1)

    def test_a_restore_rolled_back_once_is_run_again(self):
        """The deleted step comes back on the second run, with one history row."""
        self.client.post(factory.admin_change_url(self.w.step, "delete"), {"post": "yes", "reason": "Oops"})
        row = self.w.step.history.latest()
        url = reverse("admin:tracker_ratificationstep_restore", args=[row.history_id])
        patch, calls = deadlock_on(RatificationStep, "save", times=1)
        with patch:
            r = self.client.post(url, {"reason": "Not a duplicate"})
        self.assertEqual((r.status_code, len(calls)), (302, 2))
        self.assertTrue(RatificationStep.objects.filter(pk=self.w.step.pk).exists())
        self.assertEqual(
            self.w.step.history.filter(history_change_reason="Restored: Not a duplicate").count(), 1
        )

    def test_a_restore_rolled_back_three_times_asks_to_restore_again(self):
        """Nothing is restored; the page says why and keeps the reason typed."""
        self.client.post(factory.admin_change_url(self.w.step, "delete"), {"post": "yes", "reason": "Oops"})
        row = self.w.step.history.latest()
        url = reverse("admin:tracker_ratificationstep_restore", args=[row.history_id])
        patch, calls = deadlock_on(RatificationStep, "save", times=3)
        with patch:
            r = self.client.post(url, {"reason": "Not a duplicate"})
        self.assertContains(r, "nothing was restored. Restore again.", status_code=409)
        self.assertContains(r, "Not a duplicate</textarea>", status_code=409)
        self.assertFalse(RatificationStep.objects.filter(pk=self.w.step.pk).exists())


# --- pairs of editors saving at the same moment, many rounds per scenario ---------------------

# Rounds per scenario: 10 by default (seven scenarios, under a minute on two cores);
# CONCURRENCY_ROUNDS=100 runs more for a longer hunt.
ROUNDS = int(os.getenv("CONCURRENCY_ROUNDS", "10"))
# The second editor's post is held back this long (seconds) after the barrier, in turn, so
# that the pair's locks are taken in both orders over the rounds (a heavier page otherwise
# loses every race). Nothing is asserted about time.
STAGGER = (0, 0.04, 0.12)
CONFLICT = "since you opened it"
BUSY = "Another editor was saving related records at the same moment"
IMPORT_URL = "/admin/tracker/participation/import/"
# What the import page says when a confirmed import found its participations changed since the preview.
IMPORT_REFUSED = "changed since the preview"
CONFIRM_URL = "/admin/tracker/participation/process_import/"
# Every kind of record a scenario writes, directly or by the treaty's rules.
WRITTEN = (Treaty, Participation, Obligation, Extension, RatificationStep, Declaration)
# The wordings of a row written on behalf of an editor's save, before the reason typed.
ON_BEHALF = (
    "Recomputed by the treaty's rules after a change to the ",
    "Reverted to the version of ",
    "Imported from conc.csv: ",
)


def editor(name):
    """An editor in the editors' group, as the migrations make it (a transactional test's flush removes it)."""
    roles = importlib.import_module("tracker.migrations.0003_role_groups")
    group, created = Group.objects.get_or_create(name="editors")
    if created:
        tracker = Permission.objects.filter(content_type__app_label="tracker")
        group.permissions.set(tracker.filter(codename__in=roles._editor_codenames()))
        assign(
            apps,
            [m._meta.model_name for m in TRACKED.values() if m._meta.model_name not in roles.TRACKER_MODELS],
        )
    return factory.make_user(name, groups=["editors"])


class FormValues(html.parser.HTMLParser):
    """What a browser posts from a page's forms, read from its HTML: {name: value}.

    Two requests render at once in these tests, and the test client collects every template
    rendered anywhere into each response's ``context``: only the HTML is the page's own.
    """

    SKIPPED = ("submit", "button", "image", "reset", "file")

    def __init__(self, page):
        super().__init__()
        self.values, self.textarea, self.select = {}, None, None
        self.feed(page.content.decode())

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and "__prefix__" not in name:
            kind = attrs.get("type", "text")
            if kind not in self.SKIPPED and (kind not in ("checkbox", "radio") or "checked" in attrs):
                self.values.setdefault(name, attrs.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "textarea" and name and "__prefix__" not in name:
            self.textarea = name
            self.values[name] = ""
        elif tag == "select" and name and "__prefix__" not in name:
            self.select = name
        elif tag == "option" and self.select:
            # The selected option, or else the first one.
            if "selected" in attrs or self.select not in self.values:
                self.values[self.select] = attrs.get("value") or ""
                if "selected" in attrs:
                    self.select = f"{self.select} (chosen)"

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea:
            self.values[self.textarea] = self.values[self.textarea].removeprefix("\n")
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data):
        if self.textarea:
            self.values[self.textarea] += data


def inline_row(values, formset, obj):
    """The prefix of ``obj``'s row in the inline table ``formset`` of a page's posted ``values``."""
    for name, value in values.items():
        match = re.fullmatch(rf"({formset}-\d+)-id", name)
        if match and value == str(obj.pk):
            return match[1]
    raise AssertionError(f"{obj} is not a row of the {formset} on this page")


@contextlib.contextmanager
def pages_rendered_plainly():
    """Render templates without the test client's instrumentation (its contexts are mixed up here anyway)."""
    with mock.patch.object(Template, "_render", lambda self, context: self.nodelist.render(context)):
        yield


class RetryCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record):
        self.count += 1


@dataclasses.dataclass
class Save:
    """One editor's save in a round: the page opened, what was typed, and what it must leave in the database."""

    user: object
    reason: str
    url: str
    typed: typing.Callable = lambda values: {}  # the page's values -> {posted name: value typed}
    wrote: list = dataclasses.field(default_factory=list)  # [(model, lookup, field, value)]
    post_url: str = ""
    upload: str = ""  # a CSV file to import instead of a form to post
    delay: float = 0
    response: object = None
    followed: object = None  # the import page an import's refusal redirects to, with its message
    kept: dict = dataclasses.field(default_factory=dict)

    def open(self, client):
        if self.upload:
            upload = SimpleUploadedFile("conc.csv", self.upload.encode(), content_type="text/csv")
            return client.post(IMPORT_URL, {"resource": "0", "format": "0", "import_file": upload})
        return client.get(self.url)

    def data(self, page):
        values = FormValues(page).values
        self.kept = {**self.typed(values), "reason": self.reason}
        return {**values, **self.kept}

    @property
    def accepted(self):
        return self.response.status_code == 302 and not self.response["Location"].endswith(IMPORT_URL)

    @property
    def refused(self):
        content = self.response.content.decode()
        if self.followed is not None:
            # An import refused at confirmation goes back to the import page, which says why.
            return IMPORT_REFUSED in self.followed.content.decode()
        return self.response.status_code in (200, 409) and (CONFLICT in content or BUSY in content)

    def follow(self, client):
        """After an import's confirmation, open the page it was sent back to, if it was."""
        if (
            self.upload
            and self.response.status_code == 302
            and self.response["Location"].endswith(IMPORT_URL)
        ):
            self.followed = client.get(self.response["Location"])

    def wrote_row(self, text):
        """Whether a history row whose reason is ``text`` was written for this save."""
        if text == self.reason:
            return True
        return text.endswith(f": {self.reason}") and text.startswith(ON_BEHALF)

    def edits(self, model):
        """Whether this save writes ``model``'s rows itself (the others only the rules recompute)."""
        page = re.search(r"/admin/tracker/(\w+)/", self.url)[1]
        return model._meta.model_name == page or any(model is wrote[0] for wrote in self.wrote)


@pytest.mark.postgres
class ConcurrentEditorsTestCase(TransactionTestCase):
    """Two editors post conflicting admin forms at the same moment, each on their own connection, many rounds.

    After each round: every accepted edit is in the database (unless a later accepted edit of the
    same field replaced it), a refused one was told why in words and got its input back, no
    response is a 5xx, every touched record's history versions strictly increase, each history
    row names the editor and reason of the save that wrote it, and every computed date is what
    the rules give from the data as stored. The counts per scenario are printed (pytest -rP).
    """

    def setUp(self):
        self.w = factory.make_admin_world()
        self.alice, self.bob = editor("alice"), editor("bob")
        self.clients = {}
        for user in (self.alice, self.bob):
            client = Client(raise_request_exception=False)
            client.force_login(user)
            self.clients[user.pk] = client
        self.stockpile = factory.obligation(self.w.lb)
        self.stockpile.applicability = Obligation.Applicability.APPLICABLE
        self.stockpile.save()
        self.problems = []
        self.counts = collections.Counter()
        # The admin logs each run it repeats after a deadlock (tracker.admin.base.TrackerAdmin.retrying).
        self.retries = RetryCounter()
        logging.getLogger("tracker.admin.base").addHandler(self.retries)
        self.addCleanup(logging.getLogger("tracker.admin.base").removeHandler, self.retries)

    # --- one round: open both pages, then post both at once ------------------------------------

    def race(self, first, second):
        """Each editor opens the page in their own thread; both posts are released together."""
        second.delay = STAGGER[self.counts["rounds"] % len(STAGGER)]
        saves = (first, second)
        watermark = {model: model.history.aggregate(m=Max("history_id"))["m"] or 0 for model in WRITTEN}
        barrier = threading.Barrier(len(saves))
        errors = []

        def run(save):
            try:
                client = self.clients[save.user.pk]
                data = save.data(save.open(client))
                barrier.wait(timeout=60)
                threading.Event().wait(save.delay)
                save.response = client.post(save.post_url or save.url, data)
                save.follow(client)
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)
                barrier.abort()
            finally:
                connection.close()

        with pages_rendered_plainly():
            threads = [threading.Thread(target=run, args=(save,)) for save in saves]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
        if errors:
            raise errors[0]
        self.check(saves, watermark)
        return saves

    def problem(self, text):
        self.problems.append(f"round {self.counts['rounds']}: {text}")

    def check(self, saves, watermark):
        self.counts["rounds"] += 1
        for save in saves:
            status = save.response.status_code
            if status >= 500:
                self.counts["5xx"] += 1
                self.problem(f"{save.reason}: answered {status}")
            elif save.accepted:
                self.counts["accepted"] += 1
            elif save.refused:
                self.counts["refused"] += 1
                self.check_refusal(save)
            else:
                self.problem(f"{save.reason}: answered {status} without a conflict message")
        accepted = [save for save in saves if save.accepted]
        for save in accepted:
            for model, lookup, field, value in save.wrote:
                self.check_edit_kept(save, accepted, model, lookup, field, value, watermark)
        self.check_history(saves, watermark)
        self.check_computed_dates()

    def check_refusal(self, save):
        """A refused save gets its input back in the form (an import: the sentence asking to upload
        the file again), and wrote nothing."""
        if save.followed is None:
            again = FormValues(save.response).values
            for name, value in save.kept.items():
                if again.get(name) != str(value):
                    self.problem(f"{save.reason}: refused, and its {name} {value!r} is gone from the form")
        if any(
            model.history.filter(history_change_reason__endswith=save.reason).exists() for model in WRITTEN
        ):
            self.problem(f"{save.reason}: refused, yet something it posted was saved")

    def check_edit_kept(self, save, accepted, model, lookup, field, value, watermark):
        row = model.objects.filter(**lookup).first()
        now = getattr(row, field) if row is not None else "(no such record)"
        if now == value:
            self.check_entered_by(save, model, row, field, value, watermark)
            return
        # A later accepted edit of the same field may have replaced it.
        for other in accepted:
            if (model, lookup, field, now) in other.wrote:
                if self.last_row(other, model, row) > self.last_row(save, model, row):
                    return
        self.counts["lost"] += 1
        self.problem(f"{save.reason}: {model.__name__} {field} {value!r} accepted, but it is now {now!r}")

    def last_row(self, save, model, row):
        rows = model.history.filter(id=row.pk, history_change_reason__endswith=save.reason)
        return rows.aggregate(m=Max("history_id"))["m"] or 0

    def check_entered_by(self, save, model, row, field, value, watermark):
        """The history row that first holds an accepted value is that save's."""
        first = (
            model.history.filter(id=row.pk, history_id__gt=watermark[model], **{field: value})
            .order_by("history_id")
            .first()
        )
        if first is None or not save.wrote_row(first.history_change_reason or ""):
            reason = first.history_change_reason if first else None
            self.problem(
                f"{save.reason}: {model.__name__} {field} {value!r} entered the history as “{reason}”"
            )

    def check_history(self, saves, watermark):
        """Versions strictly increase; each row of the round carries the reason and editor of one accepted save."""
        for model in WRITTEN:
            rows = model.history.filter(history_id__gt=watermark[model]).values(
                "id", "history_id", "history_user_id", "history_change_reason"
            )
            for row in rows:
                text = row["history_change_reason"] or ""
                authors = [save for save in saves if save.wrote_row(text)]
                where = f"{model.__name__} {row['id']}"
                if len(authors) != 1:
                    self.problem(f"{where}: a history row with the reason “{text}”")
                elif not authors[0].accepted:
                    self.problem(f"{where}: “{text}” written by a save that was refused")
                elif row["history_user_id"] != authors[0].user.pk:
                    self.problem(f"{where}: “{text}” attributed to user {row['history_user_id']}")
                elif not authors[0].edits(model) and not text.startswith(ON_BEHALF[0]):
                    self.problem(f"{where}: recomputed, but its reason “{text}” does not say so")
            touched = {row["id"] for row in rows}
            versions = collections.defaultdict(list)
            stored = dict(model.objects.filter(pk__in=touched).values_list("pk", "version"))
            for pk, version in (
                model.history.filter(id__in=touched).order_by("history_id").values_list("id", "version")
            ):
                versions[pk].append(version)
            for pk, listed in versions.items():
                if any(a >= b for a, b in itertools.pairwise(listed)):
                    self.problem(f"{model.__name__} {pk}: history versions {listed} do not strictly increase")
                if pk in stored and stored[pk] != listed[-1]:
                    self.problem(
                        f"{model.__name__} {pk}: version {stored[pk]}, its last history row says {listed[-1]}"
                    )

    def check_computed_dates(self):
        """Every computed date is what the rules give from the data as stored."""
        treaty = Treaty.objects.get(pk=self.w.treaty.pk)
        if treaty.compute_dates() != (treaty.threshold_date, treaty.entry_into_force_date):
            self.problem("the treaty's entry into force is not what its deposits give")
        for participation in treaty.participations.all():
            participation.treaty = treaty
            stored = (participation.entry_into_force_date, participation.withdrawal_effective_date)
            if participation.compute_dates() != stored:
                self.problem(f"{participation}: entry into force {stored} is not what the rules give")
        obligations = Obligation.objects.filter(participation__treaty=treaty).select_related("participation")
        for obligation in obligations.prefetch_related("extensions"):
            obligation.participation.treaty = treaty
            stored = (obligation.original_deadline, obligation.current_deadline, obligation.extension_pending)
            if obligation.compute_deadlines(list(obligation.extensions.all())) != stored:
                self.problem(f"{obligation}: deadlines {stored} are not what the rules give")

    def report(self, scenario):
        c = self.counts
        summary = (
            f"{scenario}: {c['rounds']} rounds, {c['accepted']} saves accepted, {c['refused']} refused in words, "
            f"{c['lost']} lost edits, {c['5xx']} 5xx ({self.retries.count} runs repeated after a deadlock)"
        )
        print(summary)
        self.maxDiff = None
        self.assertEqual(c["rounds"], ROUNDS)
        self.assertEqual(self.problems, [], summary)

    # --- the scenarios ------------------------------------------------------------------------

    def reason(self, user, scenario, n):
        return f"{user.username.capitalize()} saves ({scenario}, round {n})"

    def other_deposit(self):
        """A deposit date in another month than Lebanon's now, so that its entry into force moves."""
        now = Participation.objects.get(pk=self.w.lb.pk).deposit_date
        return D(2010, 12, 6) if now == D(2010, 11, 5) else D(2010, 11, 5)

    def progress(self, n, scenario):
        """Bob's edit of the stockpile obligation's progress on its own page."""
        text = f"Bob's progress note ({scenario}, round {n})"
        return Save(
            self.bob,
            self.reason(self.bob, scenario, n),
            factory.admin_change_url(self.stockpile),
            typed=lambda values: {"progress": text},
            wrote=[(Obligation, {"pk": self.stockpile.pk}, "progress", text)],
        )

    def test_a_an_obligation_saved_inline_and_on_its_own_page(self):
        """(a) The obligation's row on the participation page and its progress on its own page: nothing lost."""
        stockpile = self.stockpile
        for n in range(ROUNDS):
            completed = D(2015, 1, 1) + datetime.timedelta(days=n)
            self.race(
                Save(
                    self.alice,
                    self.reason(self.alice, "a", n),
                    factory.admin_change_url(self.w.lb),
                    typed=lambda values, c=completed: {
                        f"{inline_row(values, 'obligations', stockpile)}-completed_on": c.isoformat()
                    },
                    wrote=[(Obligation, {"pk": stockpile.pk}, "completed_on", completed)],
                ),
                self.progress(n, "a"),
            )
        self.report("(a) inline obligation row vs the obligation's own page")

    def test_b_a_deposit_date_and_the_obligations_progress(self):
        """(b) A deposit date that moves the deadlines, and the obligation's progress: both kept, dates recomputed."""
        for n in range(ROUNDS):
            deposit = self.other_deposit()
            self.race(
                Save(
                    self.alice,
                    self.reason(self.alice, "b", n),
                    factory.admin_change_url(self.w.lb),
                    typed=lambda values, d=deposit: {"deposit_date": d.isoformat()},
                    wrote=[(Participation, {"pk": self.w.lb.pk}, "deposit_date", deposit)],
                ),
                self.progress(n, "b"),
            )
        self.report("(b) deposit date vs the obligation's progress")

    def test_c_two_editors_saving_the_same_record(self):
        """(c) Both type into the same field of the same record: one is saved, the other refused in words."""
        for n in range(ROUNDS):
            record, field = (self.w.lb, "notes") if n % 2 == 0 else (self.stockpile, "progress")
            saves = [
                Save(
                    user,
                    self.reason(user, "c", n),
                    factory.admin_change_url(record),
                    typed=lambda values, f=field, t=f"{user.username}'s text, round {n}": {f: t},
                    wrote=[(type(record), {"pk": record.pk}, field, f"{user.username}'s text, round {n}")],
                )
                for user in (self.alice, self.bob)
            ]
            self.race(*saves)
            outcomes = sorted((save.accepted, save.refused) for save in saves)
            if outcomes != [(False, True), (True, False)]:
                self.problem(f"not one save accepted and one refused: {outcomes}")
        self.report("(c) the same field of the same record")

    def test_d_an_extension_added_and_the_obligations_progress(self):
        """(d) An extension added (inline on the obligation's page, or on its own) and the progress on another page."""
        stockpile = self.stockpile
        for n in range(ROUNDS):
            for extension in Extension.objects.filter(obligation=stockpile):
                extension.delete()  # last round's: the page stays the size an editor sees
            note = f"Alice's extension request, round {n}"
            requested = (D(2018, 1, 1) + datetime.timedelta(days=n)).isoformat()
            if n % 2 == 0:
                url = factory.admin_change_url(stockpile)

                def typed(values, note=note, requested=requested):
                    total = int(values["extensions-TOTAL_FORMS"])
                    return {
                        "extensions-TOTAL_FORMS": str(total + 1),
                        f"extensions-{total}-obligation": str(stockpile.pk),
                        f"extensions-{total}-requested_on": requested,
                        f"extensions-{total}-decision": Extension.Decision.PENDING,
                        f"extensions-{total}-notes": note,
                    }

            else:
                url = reverse("admin:tracker_extension_add")

                def typed(values, note=note, requested=requested):
                    return {
                        "obligation": str(stockpile.pk),
                        "requested_on": requested,
                        "decision": Extension.Decision.PENDING,
                        "notes": note,
                    }

            self.race(
                Save(
                    self.alice,
                    self.reason(self.alice, "d", n),
                    url,
                    typed=typed,
                    wrote=[(Extension, {"obligation_id": stockpile.pk, "notes": note}, "notes", note)],
                ),
                self.progress(n, "d"),
            )
        self.report("(d) extension added vs the obligation's progress")

    def test_e_a_treaty_rule_and_a_deposit_date(self):
        """(e) The treaty's stockpile period and a deposit date, two lock roots' worth of recomputation: both kept."""
        for n in range(ROUNDS):
            years = 9 if n % 2 == 0 else 8
            deposit = self.other_deposit()
            self.race(
                Save(
                    self.alice,
                    self.reason(self.alice, "e", n),
                    factory.admin_change_url(self.w.treaty),
                    typed=lambda values, y=years: {"stockpile_years": str(y)},
                    wrote=[(Treaty, {"pk": self.w.treaty.pk}, "stockpile_years", years)],
                ),
                Save(
                    self.bob,
                    self.reason(self.bob, "e", n),
                    factory.admin_change_url(self.w.lb),
                    typed=lambda values, d=deposit: {"deposit_date": d.isoformat()},
                    wrote=[(Participation, {"pk": self.w.lb.pk}, "deposit_date", deposit)],
                ),
            )
        self.report("(e) treaty rule vs deposit date")

    def test_f_a_revert_and_a_form_save_of_the_same_record(self):
        """(f) A revert to an earlier version and a form save of the same participation: one wins, one is told."""
        setup = factory.make_user("setup", superuser=True)
        lb = self.w.lb.pk
        for n in range(ROUNDS):
            target = Participation.history.filter(id=lb).order_by("-history_id").first()
            factory.edit_as(
                Participation.objects.get(pk=lb),
                setup,
                f"Set up round {n}",
                deposit_date=self.other_deposit(),
            )
            note = f"Bob's note, round {n}"
            saves = self.race(
                Save(
                    self.alice,
                    self.reason(self.alice, "f", n),
                    f"/admin/tracker/participation/{lb}/history/{target.history_id}/",
                    wrote=[(Participation, {"pk": lb}, "deposit_date", target.deposit_date)],
                ),
                Save(
                    self.bob,
                    self.reason(self.bob, "f", n),
                    factory.admin_change_url(self.w.lb),
                    typed=lambda values, t=note: {"notes": t},
                    wrote=[(Participation, {"pk": lb}, "notes", note)],
                ),
            )
            if sorted(save.accepted for save in saves) != [False, True]:
                self.problem("not one of the revert and the save accepted")
        self.report("(f) revert vs form save")

    def test_g_an_import_and_a_form_save_of_the_same_participation(self):
        """(g) A spreadsheet import of a deposit date and a form save of the same participation's research notes."""
        for n in range(ROUNDS):
            deposit = self.other_deposit()
            note = f"Bob's research note, round {n}"
            self.race(
                Save(
                    self.alice,
                    self.reason(self.alice, "g", n),
                    IMPORT_URL,
                    post_url=CONFIRM_URL,
                    upload="iso2,treaty,signature_date,instrument,deposit_date\n"
                    f"LB,ccm,2008-12-03,ratification,{deposit.isoformat()}\n",
                    wrote=[(Participation, {"pk": self.w.lb.pk}, "deposit_date", deposit)],
                ),
                Save(
                    self.bob,
                    self.reason(self.bob, "g", n),
                    factory.admin_change_url(self.w.lb),
                    typed=lambda values, t=note: {"research_notes": t},
                    wrote=[(Participation, {"pk": self.w.lb.pk}, "research_notes", note)],
                ),
            )
        self.report("(g) import vs form save")
