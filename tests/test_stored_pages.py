"""Stored public pages, answered in front of Django's request handling (tracker.caching.StoredPageApplication).

Each test drives the WSGI application itself, as gunicorn does: Django's test
client starts below it, at Django's handler.
"""

import io
import time
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import TestCase, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext

from tests import factory
from tracker.caching import StoredPageApplication
from tracker.models import State


def environ(path, method="GET", **meta):
    """What a WSGI server hands the application for one request."""
    path, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        **meta,
    }


class Answer:
    def __init__(self, application, environ):
        def start_response(status, headers):
            self.status, self.headers = status, headers

        body = application(environ, start_response)
        try:
            self.body = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()

    def header(self, name):
        return {key.lower(): value for key, value in self.headers}.get(name.lower())

    def header_set(self):
        return sorted((key.lower(), value) for key, value in self.headers)


class CountingHandler:
    """Django's WSGI handler, counting the requests that reach it."""

    def __init__(self):
        self.handler = WSGIHandler()
        self.get_response = self.handler.get_response
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.handler(environ, start_response)


@override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=600)
class StoredPageApplicationTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty, cls.lebanon = factory.make_state_page_edited_long_ago()
        cls.url = cls.lebanon.get_absolute_url()

    def setUp(self):
        cache.clear()
        # As under Django's test client: the test's transaction holds the connection, so it
        # is not closed around each request (outside a transaction block, Django would close
        # a connection left out of autocommit).
        closing = mock.patch.object(connections[DEFAULT_DB_ALIAS], "close_if_unusable_or_obsolete")
        closing.start()
        self.addCleanup(closing.stop)
        self.django = CountingHandler()
        self.application = StoredPageApplication(self.django)

    def get(self, path, **meta):
        return Answer(self.application, environ(path, **meta))

    def test_a_stored_page_is_answered_without_django(self):
        """The first request is rendered by Django and stored; the next never reaches Django."""
        first = self.get(self.url)
        self.assertEqual((first.status, first.header("X-Cache")), ("200 OK", "miss"))
        second = self.get(self.url)
        self.assertEqual((second.status, second.header("X-Cache")), ("200 OK", "hit"))
        self.assertEqual(second.body, first.body)
        self.assertIn(b"Lebanon", second.body)
        self.assertEqual(self.django.calls, 1)

    def test_it_answers_with_what_django_answers_for_a_stored_page(self):
        """Same status, body and headers (security headers, CSP, validators, X-Cache) as Django's own hit."""
        for path in (self.url, "/states/", "/api/v1/states", "/states.csv"):
            with self.subTest(path):
                self.get(path)
                in_front = self.get(path)
                through_django = Answer(self.django, environ(path))
                self.assertEqual(through_django.header("X-Cache"), "hit")
                self.assertEqual(in_front.status, through_django.status)
                self.assertEqual(in_front.body, through_django.body)
                self.assertEqual(in_front.header_set(), through_django.header_set())
        api = self.get("/api/v1/states")
        self.assertEqual(api.header("Access-Control-Allow-Origin"), "*")
        self.assertEqual(self.get(self.url).header("X-Frame-Options"), "DENY")

    def test_an_edit_is_read_on_the_next_request(self):
        self.get(self.url)
        self.get(self.url)
        lebanon = State.objects.get(pk=self.lebanon.pk)
        lebanon.name = "Lebanese Republic"
        lebanon.save()
        after = self.get(self.url)
        self.assertEqual(after.header("X-Cache"), "miss")
        self.assertIn(b"Lebanese Republic", after.body)
        again = self.get(self.url)
        self.assertEqual(again.header("X-Cache"), "hit")
        self.assertIn(b"Lebanese Republic", again.body)
        self.assertEqual(self.django.calls, 2)

    def test_django_answers_everything_but_a_plain_anonymous_get(self):
        """HEAD, sessions, credentials, the admin and refused hosts reach Django."""
        self.get(self.url)
        cases = {
            "HEAD": ({"method": "HEAD"}, "200 OK"),
            "a session": ({"HTTP_COOKIE": "sessionid=abc"}, "200 OK"),
            "credentials": ({"HTTP_AUTHORIZATION": "Basic YTpi"}, "200 OK"),
            "a refused host": ({"HTTP_HOST": "elsewhere.example"}, "400 Bad Request"),
        }
        for name, (meta, status) in cases.items():
            with self.subTest(name):
                calls = self.django.calls
                answer = self.get(self.url, **meta)
                self.assertEqual(answer.status, status)
                self.assertEqual(self.django.calls, calls + 1)
        calls = self.django.calls
        self.assertEqual(self.get("/admin/login/").status, "200 OK")
        self.assertEqual(self.get("/admin/login/").status, "200 OK")
        self.assertEqual(self.django.calls, calls + 2)

    def test_validators_that_still_match_get_their_304_in_front(self):
        """A reader's (or a CDN's) ETag or date that still matches gets the 304 Django would give, without Django."""
        for path in (self.url, "/api/v1/states"):
            first = self.get(path)
            cases = {
                "If-None-Match": {"HTTP_IF_NONE_MATCH": first.header("ETag")},
                "If-Modified-Since": {"HTTP_IF_MODIFIED_SINCE": first.header("Last-Modified")},
            }
            for name, meta in cases.items():
                with self.subTest(path=path, validator=name):
                    calls = self.django.calls
                    in_front = self.get(path, **meta)
                    self.assertEqual(self.django.calls, calls)
                    through_django = Answer(self.django, environ(path, **meta))
                    self.assertEqual((in_front.status, in_front.body), ("304 Not Modified", b""))
                    self.assertEqual(in_front.header_set(), through_django.header_set())
        calls = self.django.calls
        outdated = self.get(self.url, HTTP_IF_NONE_MATCH='"an older version"')
        self.assertEqual((outdated.status, outdated.header("X-Cache")), ("200 OK", "hit"))
        self.assertEqual(self.django.calls, calls)

    def test_a_stored_page_is_not_sent_where_the_ssl_redirect_applies(self):
        """A page stored for http:// while the redirect was off is left to Django once it is on."""
        self.get(self.url)
        self.assertEqual(self.get(self.url).header("X-Cache"), "hit")
        with override_settings(SECURE_SSL_REDIRECT=True):
            django = CountingHandler()
            application = StoredPageApplication(django)
            answer = Answer(application, environ(self.url))
            secure = Answer(application, environ(self.url, **{"wsgi.url_scheme": "https"}))
        self.assertEqual(answer.status, "301 Moved Permanently")
        self.assertEqual(answer.header("Location"), f"https://testserver{self.url}")
        self.assertEqual(secure.status, "200 OK")
        self.assertEqual(django.calls, 2)

    def test_crafted_requests_get_what_django_alone_answers(self):
        """Odd paths, query strings, hosts and cookies: asked twice (the second may come from the
        front), each gets the status Django alone gives it, and never a server error."""
        paths = [
            self.url,
            "/states/LB/",
            "/states/%00/",
            "/%ff",
            "/states/?as_of=%00",
            "/states/?as_of=2015-13-45&region=%ff",
            "/api/v1/states?region=%ff%fe",
            "/changes/feed/?state=%00",
            "/fr/states/lb/?" + "x=1&" * 500,
            # A path outside ASCII, as a server hands it on: its UTF-8 bytes read as Latin-1.
            "/states/" + "Ā".encode().decode("latin-1") + "/",
            "/api/v1/meetings/" + "é".encode().decode("latin-1"),
        ]
        metas = [
            {},
            {"HTTP_HOST": "TESTSERVER:80"},
            {"HTTP_HOST": "bad host"},
            {"HTTP_HOST": ""},
            {"HTTP_X_FORWARDED_HOST": "elsewhere.example"},
            {"HTTP_COOKIE": "a=b; c; sessionid"},
            {"HTTP_COOKIE": "\x00=\x00"},
            {"HTTP_IF_NONE_MATCH": '"x", W/"y", *'},
            {"HTTP_IF_MODIFIED_SINCE": "not a date"},
        ]
        for path in paths:
            for meta in metas:
                with self.subTest(path=path, meta=meta):
                    self.get(path, **meta)
                    answer = self.get(path, **meta)
                    alone = Answer(self.django.handler, environ(path, **meta))
                    self.assertEqual(answer.status, alone.status)
                    self.assertFalse(answer.status.startswith("5"), answer.status)

    @override_settings(PUBLIC_CACHE_SECONDS=0)
    def test_nothing_is_answered_in_front_when_no_page_is_kept(self):
        self.get(self.url)
        answer = self.get(self.url)
        self.assertEqual(answer.status, "200 OK")
        self.assertIsNone(answer.header("X-Cache"))
        self.assertEqual(self.django.calls, 2)

    def test_a_failing_look_up_is_left_to_django(self):
        """An error in front (here the shared cache) is not answered there: Django does it again."""
        self.get(self.url)
        with mock.patch.object(self.application.pages, "fetch", side_effect=ConnectionError("cache down")):
            answer = self.get(self.url)
        self.assertEqual((answer.status, answer.header("X-Cache")), ("200 OK", "hit"))
        self.assertEqual(self.django.calls, 2)

    def test_a_kept_page_lasts_no_longer_than_the_cache_keeps_it(self):
        self.get(self.url)
        self.get(self.url)  # now kept by the front
        cache.clear()
        self.assertEqual(self.get(self.url).header("X-Cache"), "hit")
        later = time.time() + 601
        with mock.patch("tracker.caching.time") as clock:
            clock.time.return_value = later
            answer = self.get(self.url)
        self.assertEqual(answer.header("X-Cache"), "miss")

    def test_it_keeps_a_bounded_number_of_pages(self):
        self.application.KEPT_PAGES = 2
        for path in (self.url, "/states/", "/deadlines/", "/states.csv"):
            self.get(path)
            self.get(path)
            self.assertLessEqual(len(self.application.kept), 2)
        self.assertEqual(self.get("/states.csv").header("X-Cache"), "hit")

    def test_it_keeps_a_bounded_number_of_bytes(self):
        """Past KEPT_BYTES of bodies the kept pages are let go; a page larger than that is never kept."""
        sizes = {path: len(self.get(path).body) for path in (self.url, "/states/", "/deadlines/")}
        self.application.KEPT_BYTES = max(sizes.values()) + 1
        for path in sizes:
            self.assertEqual(self.get(path).header("X-Cache"), "hit")
            kept = self.application.kept
            self.assertLessEqual(sum(len(page.body) for page in kept.values()), self.application.KEPT_BYTES)
            self.assertEqual(self.application.kept_bytes, sum(len(page.body) for page in kept.values()))
        self.application.KEPT_BYTES = min(sizes.values()) - 1
        self.application.kept.clear()
        self.application.kept_bytes = 0
        answer = self.get(self.url)
        self.assertEqual((answer.header("X-Cache"), self.application.kept), ("hit", {}))


@pytest.mark.postgres
@override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=600)
class StoredPagesOnPostgresTestCase(TransactionTestCase):
    """On PostgreSQL a stored page costs the snapshot's query, on a cursor kept with its connection."""

    def setUp(self):
        cache.clear()
        factory.make_treaty()
        self.url = factory.make_state("LB", "Lebanon").get_absolute_url()
        self.django = CountingHandler()
        self.application = StoredPageApplication(self.django)

    def get(self):
        return Answer(self.application, environ(self.url))

    def test_a_stored_page_costs_the_snapshot_query_only(self):
        """The snapshot is the whole server's: a test beside this one moves it too, so it is tried a few times."""
        for _ in range(5):
            self.get()
            with CaptureQueriesContext(connection) as queries:
                answer = self.get()
            if answer.header("X-Cache") == "hit":
                break
        self.assertEqual(answer.header("X-Cache"), "hit")
        self.assertEqual([q["sql"] for q in queries.captured_queries], ["SELECT pg_current_snapshot()::text"])

    def test_a_closed_connection_is_opened_again(self):
        self.get()
        connection.close()
        answer = self.get()
        self.assertEqual(answer.status, "200 OK")
        self.assertIsNotNone(connection.connection)

    def test_a_write_that_bypasses_history_is_read_at_once(self):
        self.get()
        self.get()
        State.objects.filter(iso2="LB").update(name="Lebanese Republic")
        answer = self.get()
        self.assertEqual(answer.header("X-Cache"), "miss")
        self.assertIn(b"Lebanese Republic", answer.body)
