"""Rows and parts kept per data version (tracker.derived): the same bytes, never stale, never for staff."""

import datetime
import time

from django.test import TestCase, override_settings

from tests.factory import make_user
from tests.shipped import load_shipped_data
from tracker import derived
from tracker.models import Obligation, Participation, Source, State, TransparencyReport

# Pages, filtered lists and downloads that build on kept rows and parts, with the shipped data.
ADDRESSES = [
    "/",
    "/?treaty=apmbc",
    "/states/",
    "/states/?status=party&region=africa",
    "/states/?as_of=2015-06-01",
    "/states/?treaty=att&sort=-deposit_date",
    "/states/?q=leb",
    "/states.csv?region=europe",
    "/states.json?status=signatory",
    "/states/lb/",
    "/states/ua/",
    "/states/lb/history/",
    "/changes/",
    "/changes/?kind=obligation",
    "/deadlines/",
    "/deadlines/?treaty=ccm&status=overdue",
    "/deadlines/?applicability=all",
    "/deadlines.csv?treaty=apmbc",
    "/deadlines.json",
    "/deadlines.ics",
    "/reports/",
    "/reports/?year=2020",
    "/reports/?treaty=ccm&status=overdue",
    "/reports.csv?treaty=ccm",
    "/working-groups/",
    "/meetings/",
    "/meetings/ccm-2msp/",
    "/pledges/",
    "/changes/feed/",
    "/changes/feed/?kind=participation",
    "/map.svg?treaty=apmbc",
    "/api/v1/states?treaty=ccm&region=asia",
    "/api/v1/changes",
    # The same pages in French and Spanish: kept parts are per language.
    "/fr/",
    "/fr/states/?status=party&region=africa",
    "/es/states/",
    "/fr/deadlines/",
    "/es/reports/",
    "/fr/working-groups/",
    "/es/changes/",
    "/fr/meetings/",
]


def _bodies(client, addresses):
    return {address: client.get(address).content for address in addresses}


@override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=0)
class DerivedDataTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_shipped_data()

    def test_kept_rows_give_the_same_bytes_as_rows_computed_afresh(self):
        """Every address answers the same with nothing kept, on its first request and on a later one
        (other addresses in between share the kept rows)."""
        with override_settings(DERIVED_MEMO=False):
            fresh = _bodies(self.client, ADDRESSES)
        first = _bodies(self.client, ADDRESSES)
        again = _bodies(self.client, reversed(ADDRESSES))
        for address in ADDRESSES:
            with self.subTest(address=address):
                self.assertGreater(len(fresh[address]), 200)
                self.assertEqual(first[address], fresh[address])
                self.assertEqual(again[address], fresh[address])

    def test_a_page_that_numbers_its_sources_lists_them_alike_from_kept_rows(self):
        """A State's page numbers each source as it cites it, for print. Its report rows are
        kept; shown again, they cite their sources again, so the numbers and the list of
        sources are those of a page rendered afresh (and of its PDF)."""
        lebanon = Participation.objects.get(state__iso2="LB", treaty__slug="ccm")
        cited = Source.objects.create(key="lb-initial-report", title="Lebanon's initial report (test)")
        report = TransparencyReport(
            participation=lebanon, kind="initial", submitted_on=datetime.date(2012, 6, 1), source=cited
        )
        report.full_clean()
        report.save()
        with override_settings(DERIVED_MEMO=False):
            fresh = self.client.get("/states/lb/").content
        self.assertIn(b"Lebanon&#39;s initial report (test)", fresh)
        first, again = self.client.get("/states/lb/").content, self.client.get("/states/lb/").content
        self.assertEqual(first, fresh)
        self.assertEqual(again, fresh)

    def test_a_filtered_list_reuses_every_states_standing(self):
        """After /states/, another filter combination of the same treaty and day costs one query:
        the data's version. The standings, the form's choices and the count are kept."""
        self.client.get("/states/")
        with self.assertNumQueries(1):
            response = self.client.get("/states/?status=party&region=africa")
        self.assertContains(response, '<a href="/states/za/">South Africa</a></th>')
        self.assertNotContains(response, '<a href="/states/lb/">Lebanon</a></th>')

    def test_a_states_page_asked_again_costs_only_the_version(self):
        """Its State is kept with its facts: the data's version is the one query. An unknown
        code is still not found, on the page and on its history."""
        self.client.get("/states/lb/")
        with self.assertNumQueries(1):
            self.assertContains(self.client.get("/states/lb/"), "<h1>Lebanon</h1>")
        for address in ("/states/zz/", "/states/zz/history/", "/states/zz/"):
            with self.subTest(address=address):
                self.assertEqual(self.client.get(address).status_code, 404)

    def test_an_edit_shows_on_the_next_request(self):
        """The version moves with the edit, so nothing kept from before it is served."""
        self.assertContains(self.client.get("/states/?q=leb"), "Lebanon")
        lebanon = State.objects.get(iso2="LB")
        lebanon.name = "Lebanese Republic (edited)"
        lebanon.save()
        self.assertContains(self.client.get("/states/?q=leb"), "Lebanese Republic (edited)")

        participation = Participation.objects.get(state=lebanon, treaty__slug="ccm")
        self.assertContains(self.client.get("/deadlines/?applicability=all"), "Lebanese Republic (edited)")
        for obligation in participation.obligations.all():
            obligation.applicability = Obligation.Applicability.NOT_APPLICABLE
            obligation.save()
        self.assertNotContains(self.client.get("/deadlines/?applicability=all"), "Lebanese Republic (edited)")

    def test_staff_requests_keep_nothing_and_see_editors(self):
        """Only anonymous readers share kept parts: staff see who made each change."""
        self.client.get("/changes/")
        state = State.objects.get(iso2="LB")
        state._history_user = make_user("maria", staff=True, superuser=True)
        state.notes = "Checked against the Monitor."
        state.save()
        anonymous = self.client.get("/changes/")
        self.assertNotContains(anonymous, "maria")
        self.client.force_login(state._history_user)
        self.assertContains(self.client.get("/changes/"), "maria")


class MemoTestCase(TestCase):
    def tearDown(self):
        derived.clear()

    def test_without_a_version_nothing_is_kept(self):
        calls = []
        for _ in range(2):
            derived.memo(("k",), lambda: calls.append(1))
        self.assertEqual(len(calls), 2)

    def test_a_new_version_forgets_the_old_ones(self):
        calls = []
        token = derived.current_version.set("v1")
        try:
            derived.memo(("k",), lambda: calls.append("v1") or "one")
            self.assertEqual(derived.memo(("k",), lambda: calls.append("v1 again")), "one")
            derived.current_version.set("v2")
            self.assertEqual(derived.memo(("k",), lambda: calls.append("v2") or "two"), "two")
            self.assertEqual(calls, ["v1", "v2"])
            self.assertEqual(len(derived._store), 1)
        finally:
            derived.current_version.reset(token)

    def test_nothing_is_kept_longer_than_the_page_cache_would_keep_a_page(self):
        """Writes that record no history do not move SQLite's version: kept work expires as pages do."""
        calls = []
        token = derived.current_version.set("v1")
        try:
            derived.memo(("k",), lambda: calls.append(1))
            derived.memo(("k",), lambda: calls.append(2))
            with override_settings(DERIVED_MEMO_SECONDS=0):
                time.sleep(0.01)
                derived.memo(("k",), lambda: calls.append(3))
        finally:
            derived.current_version.reset(token)
        self.assertEqual(calls, [1, 3])

    @override_settings(DERIVED_MEMO=False)
    def test_the_setting_turns_it_off(self):
        calls = []
        token = derived.current_version.set("v1")
        try:
            for _ in range(2):
                derived.memo(("k",), lambda: calls.append(1))
        finally:
            derived.current_version.reset(token)
        self.assertEqual(len(calls), 2)

    def test_the_oldest_entries_go_first_past_the_bound(self):
        token = derived.current_version.set("v1")
        try:
            for n in range(derived.MAX_ENTRIES + 5):
                derived.memo(("k", n), lambda n=n: n)
            self.assertEqual(len(derived._store), derived.MAX_ENTRIES)
            self.assertNotIn(("k", 0), derived._store)
            self.assertIn(("k", derived.MAX_ENTRIES + 4), derived._store)
        finally:
            derived.current_version.reset(token)
