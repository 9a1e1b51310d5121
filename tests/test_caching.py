"""The public page cache (tracker/caching.py): conditional requests, and never a stale page."""

import datetime
import threading
from unittest import mock, skipUnless

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.http import HttpResponse
from django.test import RequestFactory, TestCase, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from tests import factory
from tracker.caching import PublicPageCacheMiddleware
from tracker.models import State, Treaty

PAST = factory.LONG_AGO


@override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=600)
class PublicPageCacheTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty, cls.lebanon = factory.make_state_page_edited_long_ago()
        cls.url = cls.lebanon.get_absolute_url()

    def setUp(self):
        cache.clear()

    def test_a_page_carries_an_etag_and_last_modified(self):
        """An anonymous reader gets validators and is told to revalidate every time."""
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["ETag"].startswith('"'))
        self.assertEqual(response["Last-Modified"], http_date(self._midnight_or_past()))
        self.assertIn("no-cache", response["Cache-Control"])

    def test_a_matching_if_none_match_gets_304_with_the_version_query_only(self):
        """A reader who has the current version gets 304 Not Modified, after the version's query only."""
        etag = self.client.get(self.url)["ETag"]
        with self.assertNumQueries(1):
            response = self.client.get(self.url, headers={"if-none-match": etag})
        self.assertEqual(response.status_code, 304)
        self.assertEqual(response.content, b"")
        self.assertEqual(response["ETag"], etag)

    def test_if_modified_since_gets_304_until_an_edit(self):
        """If-Modified-Since alone is honoured too, and stops matching after an edit."""
        last_modified = self.client.get(self.url)["Last-Modified"]
        response = self.client.get(self.url, headers={"if-modified-since": last_modified})
        self.assertEqual(response.status_code, 304)
        self._rename("Lebanese Republic")
        response = self.client.get(self.url, headers={"if-modified-since": last_modified})
        self.assertEqual(response.status_code, 200)

    def test_a_repeated_request_is_served_from_the_cache(self):
        """The second request for a page costs the version's query only and returns the same bytes."""
        first = self.client.get(self.url)
        with self.assertNumQueries(1):
            second = self.client.get(self.url)
        self.assertEqual(second.status_code, 200)
        self.assertEqual(second.content, first.content)
        self.assertEqual(second["Content-Type"], first["Content-Type"])

    def test_an_edit_shows_on_the_next_request(self):
        """Renaming the State changes the page at once: the edit moved every page to a new key."""
        first = self.client.get(self.url)
        self.assertContains(first, "Lebanon")
        self._rename("Lebanese Republic")
        second = self.client.get(self.url)
        self.assertContains(second, "Lebanese Republic")
        self.assertNotEqual(second["ETag"], first["ETag"])
        stale = self.client.get(self.url, headers={"if-none-match": first["ETag"]})
        self.assertEqual(stale.status_code, 200)

    def test_a_new_day_is_a_new_page(self):
        """The dashboard counts down to deadlines: tomorrow's page is not today's."""
        today = self.client.get("/")
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        with mock.patch("tracker.caching.local_today", return_value=tomorrow):
            response = self.client.get("/", headers={"if-none-match": today["ETag"]})
        self.assertEqual(response.status_code, 200)
        self.assertNotEqual(response["ETag"], today["ETag"])

    def test_downloads_keep_their_headers_when_cached(self):
        """A cached CSV is still a CSV download with its file name."""
        first = self.client.get("/states.csv")
        second = self.client.get("/states.csv")
        self.assertEqual(second.content, first.content)
        self.assertEqual(second["Content-Type"], first["Content-Type"])
        self.assertEqual(second.get("Content-Disposition"), first.get("Content-Disposition"))

    def test_logged_in_users_are_never_served_from_the_cache(self):
        """Staff see editor names: their pages are rendered for them and marked private."""
        self.client.get(self.url)
        self.client.force_login(factory.make_user("alice"))
        response = self.client.get(self.url)
        self.assertIsNotNone(response.context)
        self.assertNotIn("ETag", response)
        self.assertIn("private", response["Cache-Control"])

    def test_the_admin_is_never_cached(self):
        """Nothing under /admin/ gets validators or a cached copy, even a plain 200 without cookies."""
        # A stand-in for an admin view that sets no cookie: the real admin pages set
        # one (CSRF) or redirect, which would keep them out of the cache anyway.
        calls = []

        def admin_view(request):
            calls.append(request.path)
            return HttpResponse("an admin page")

        middleware = PublicPageCacheMiddleware(admin_view)
        for _ in range(2):
            response = middleware(RequestFactory().get("/admin/tracker/state/"))
            self.assertNotIn("ETag", response)
            self.assertNotIn("Last-Modified", response)
        self.assertEqual(len(calls), 2, "the second request was rendered again, not served from the cache")
        # The same stand-in at a public address is cached: the test can tell the difference.
        public = PublicPageCacheMiddleware(admin_view)
        self.assertIn("ETag", public(RequestFactory().get("/states/")))

    def test_errors_are_not_cached(self):
        """A 404 is rendered each time and carries no validators."""
        response = self.client.get("/states/zz/")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("ETag", response)

    @override_settings(PUBLIC_CACHE_SECONDS=0)
    def test_no_page_is_kept_when_the_cache_is_off(self):
        """PUBLIC_CACHE_SECONDS=0 renders every time but still answers conditional requests."""
        first = self.client.get(self.url)
        second = self.client.get(self.url)
        self.assertIsNotNone(second.context)
        response = self.client.get(self.url, headers={"if-none-match": first["ETag"]})
        self.assertEqual(response.status_code, 304)

    def _rename(self, name):
        lebanon = State.objects.get(pk=self.lebanon.pk)
        lebanon.name = name
        lebanon.save()

    def _midnight_or_past(self):
        midnight = datetime.datetime.combine(timezone.localdate(), datetime.time.min)
        return max(timezone.make_aware(midnight).timestamp(), PAST.timestamp())


class LebanonPage:
    """One State's page, with nothing cached yet (for the tests outside a transaction block)."""

    def setUp(self):
        cache.clear()
        factory.make_treaty()
        self.lebanon = factory.make_state("LB", "Lebanon")
        self.url = self.lebanon.get_absolute_url()


@skipUnless(connection.vendor == "sqlite", "SQLite only: PostgreSQL reads its snapshot instead")
@override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=600)
class SqliteVersionTestCase(LebanonPage, TransactionTestCase):
    """On SQLite the history stamp is read again only when the database may have changed."""

    def test_a_cached_page_costs_no_query_while_nothing_changed(self):
        first = self.client.get(self.url)
        with self.assertNumQueries(0):
            second = self.client.get(self.url)
        self.assertEqual(second["X-Cache"], "hit")
        self.assertEqual(second.content, first.content)

    def test_an_edit_through_another_connection_shows_on_the_next_request(self):
        """Another worker's edit (here another thread's connection) moves the version at once."""
        first = self.client.get(self.url)
        self.assertContains(first, "Lebanon")
        self.assertEqual(self.client.get(self.url)["X-Cache"], "hit")

        def edit():
            try:
                state = State.objects.get(pk=self.lebanon.pk)
                state.name = "Lebanese Republic"
                state.save()
            finally:
                connections.close_all()

        worker = threading.Thread(target=edit)
        worker.start()
        worker.join()
        second = self.client.get(self.url)
        self.assertEqual(second["X-Cache"], "miss")
        self.assertContains(second, "Lebanese Republic")
        self.assertNotEqual(second["ETag"], first["ETag"])


@pytest.mark.postgres
@override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=600)
class PostgresSnapshotVersionTestCase(LebanonPage, TransactionTestCase):
    """On PostgreSQL, outside a transaction block, the version is the database's snapshot."""

    def test_a_cached_page_costs_one_query_that_reads_no_table(self):
        """A repeated request asks PostgreSQL for its snapshot and nothing else.

        The snapshot is the whole server's: a test running beside this one, in another
        database, moves it too. So the pair of requests is tried a few times."""
        for _ in range(5):
            self.client.get(self.url)
            with CaptureQueriesContext(connection) as queries:
                response = self.client.get(self.url)
            self.assertEqual(response.status_code, 200)
            if response["X-Cache"] == "hit":
                break
        self.assertEqual([q["sql"] for q in queries.captured_queries], ["SELECT pg_current_snapshot()::text"])

    def test_the_snapshot_query_stands_in_for_the_health_check(self):
        """A kept connection is checked by the version's own query, not by one more round trip."""
        self.client.get(self.url)
        connection.health_check_done = False  # as at the start of a request on a kept connection
        with mock.patch.object(connection, "is_usable", wraps=connection.is_usable) as check:
            response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        check.assert_not_called()

    def test_a_kept_connection_found_broken_is_opened_again(self):
        """A connection the server dropped since the last request costs a reconnection, not an error."""
        self.client.get(self.url)
        backend = connection.connection.info.backend_pid
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
        finally:
            other.close()
        connection.health_check_done = False
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertNotEqual(connection.connection.info.backend_pid, backend)

    def test_a_write_that_bypasses_history_shows_at_once(self):
        """Even QuerySet.update(), which records no history, changes the page on the next request."""
        first = self.client.get(self.url)
        self.assertContains(first, "Lebanon")
        State.objects.filter(pk=self.lebanon.pk).update(name="Lebanese Republic")
        second = self.client.get(self.url)
        self.assertContains(second, "Lebanese Republic")
        self.assertNotEqual(second["ETag"], first["ETag"])

    @override_settings(PUBLIC_CACHE_SECONDS=0)
    def test_an_uncached_page_reads_the_newest_change_once_per_snapshot(self):
        """With no page kept, the newest history row (for Last-Modified) is read once per snapshot:
        a repeated request reads no history table."""
        for _ in range(5):
            self.client.get(self.url)
            with CaptureQueriesContext(connection) as queries:
                response = self.client.get(self.url)
            history_reads = [q["sql"] for q in queries.captured_queries if "history_date" in q["sql"]]
            if not history_reads:
                break
        self.assertEqual(response.status_code, 200)
        self.assertEqual(history_reads, [])

    @override_settings(PUBLIC_CACHE_SECONDS=0)
    def test_last_modified_follows_an_edit_at_once_when_no_page_is_kept(self):
        """A write moves the snapshot, and with it the newest change read for Last-Modified."""
        midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
        for seconds_ago in (20, 10):
            moment = timezone.now() - datetime.timedelta(seconds=seconds_ago)
            for model in (State, Treaty):
                model.history.update(history_date=moment)
            response = self.client.get(self.url)
            self.assertEqual(response["Last-Modified"], http_date(int(max(moment, midnight).timestamp())))
