"""Public pages, answered from a cache that is never stale, and revalidated cheaply.

A public page is a function of the data, of the day (the dashboard counts
down to deadlines and lists the next twelve months) and of the code. So each
anonymous GET gets an ETag made of the data's version (``page_version()``
below: one cheap query), today's date, the code's release and the page's language (from its
address: tracker/i18n.py), and a
Last-Modified header from the latest change; a request whose If-None-Match or
If-Modified-Since still matches gets a 304 without rendering anything. The rendered page is kept in Django's cache under a key
made of the same parts plus the address, so an edit (which always adds a
history row), a new day or a deployment moves every page to a new key: there
is nothing to purge, and old entries simply expire.

A page served from the cache says so in its X-Cache header ("hit"; "miss"
when it was rendered and stored), which shows a shared cache at work.

A stored page, and the 304 for validators that still match it, are answered in
front of Django's request handling by StoredPageApplication (the WSGI
application, tracker/wsgi.py), under the same key and with the same headers;
everything else reaches this middleware as before.

Not cached: anything for a logged-in user (staff see editor names; their
responses are marked private), anything under /admin/ or /static/, requests
that carry a session or a pending message, and responses that are not a
plain 200 or that set a cookie.

Settings: ``PUBLIC_CACHE`` (on by default) switches all of this off;
``PUBLIC_CACHE_SECONDS`` (600) is how long a rendered page is kept, 0 to keep
none (conditional requests are still answered); ``CACHES`` picks the backend
(local memory by default, see settings.py).

On SQLite, writes that bypass simple-history (QuerySet.update(),
bulk_create(), loaddata) add no history row: a page cached before one is
served until the next edit, a new day or PUBLIC_CACHE_SECONDS. The tracker's
own editing paths (the admin, imports, reverts) all record history; on
PostgreSQL every committed write counts.
"""

import contextlib
import dataclasses
import datetime
import hashlib
import os
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from django.dispatch import receiver
from django.http import HttpResponse
from django.middleware.security import SecurityMiddleware
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag

from tracker import cors, derived, history
from tracker.i18n import path_language

# Response headers that are not stored with a page: they are set per request.
PER_REQUEST_HEADERS = {"set-cookie", "etag", "last-modified", "cache-control", "expires", "date", "x-cache"}
# Its last part names the form of what is stored (freeze()): a release that changes the form
# while $RELEASE stays the same then reads none of the old entries.
CACHE_KEY_PREFIX = "tracker:page:2:"
PUBLIC_CACHE_CONTROL = "no-cache, public"


def release():
    """Return a text that changes when the code or templates do (or $RELEASE, if set).

    Read once per process from the files' contents, so that every worker and
    every machine running the same code agree on it (and share cached pages).
    """
    configured = os.getenv("RELEASE")
    if configured:
        return configured
    digest = hashlib.sha256()
    for folder in (
        settings.BASE_DIR / "tracker",
        settings.BASE_DIR / "templates",
        settings.BASE_DIR / "locale",
    ):
        for path in sorted(folder.rglob("*")):
            if (
                path.suffix in (".py", ".html", ".txt", ".xml", ".svg", ".json", ".mo")
                and "migrations" not in path.parts
            ):
                digest.update(f"{path.relative_to(settings.BASE_DIR).as_posix()}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# Stands for the time of the latest change when page_version() did not read it.
NOT_READ = object()


def page_version():
    """Return (a text that changes whenever the data may have changed, the latest change or NOT_READ).

    On PostgreSQL it is the database's current snapshot (the transactions
    running and the next transaction id), which moves whenever a write
    transaction starts or commits: one query that reads no table, and it also
    sees writes that bypass history. A page rendered while a write committed
    is stored under the snapshot taken before it, which no later request sees
    again. Inside a transaction block (tests, ATOMIC_REQUESTS) the snapshot
    would not show the transaction's own writes: there, and on SQLite, the
    newest history row of each kind is the version (tracker.history.edit_stamp()).
    """
    # (Looked up once: each attribute read through django.db.connection looks it up again.)
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _postgresql_snapshot(connection), NOT_READ
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        return _sqlite_edit_stamp(connection)
    return history.edit_stamp()


def _postgresql_snapshot(connection):
    """The snapshot, in one round trip even on a connection kept from an earlier request.

    Django checks a kept connection with a query of its own before the first
    one of a request (CONN_HEALTH_CHECKS). This query checks it as well: it
    stands in for that check, and a connection found broken is opened again,
    once, as Django would.
    """
    if connection.health_check_enabled and not connection.health_check_done:
        connection.health_check_done = True
        try:
            return _read_snapshot(connection)
        except (InterfaceError, OperationalError):
            with contextlib.suppress(DatabaseError):
                connection.close()
    return _read_snapshot(connection)


# The database cursor the snapshot was last read with, and the connection it belongs to.
_snapshot_cursor = (None, None)


def _read_snapshot(connection):
    """The snapshot query, on a cursor kept as long as its connection.

    Opening a cursor through Django for each request costs about as much as the
    query's round trip. The kept one is still wrapped as Django wraps its own, so
    the query is logged, counted and its errors translated like any other.
    """
    global _snapshot_cursor
    connection.ensure_connection()
    raw = connection.connection
    kept_for, cursor = _snapshot_cursor
    if kept_for is not raw or cursor.closed:
        cursor = raw.cursor()
        _snapshot_cursor = (raw, cursor)
    wrapped = (
        connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)
    )
    wrapped.execute("SELECT pg_current_snapshot()::text")
    return "pg:" + wrapped.fetchone()[0]


# The last edit stamp read on SQLite, with what showed the database as it was then:
# (the connection, its data_version, its total_changes, the stamp).
_sqlite_seen = None


def _sqlite_edit_stamp(connection):
    """history.edit_stamp(), read again only when the database file may have changed.

    SQLite tells each connection, without reading any table, whether another
    connection (another worker, a script) committed since it last asked
    (PRAGMA data_version), and counts the rows the connection changed itself
    (total_changes). While neither moves, the stamp read last is still the
    stamp: a cached page then costs no query at all. (Not inside a transaction
    block, whose writes a rollback could undo after the stamp was kept.)
    """
    global _sqlite_seen
    connection.ensure_connection()
    raw = connection.connection
    data_version = raw.execute("PRAGMA data_version").fetchone()[0]
    seen = _sqlite_seen
    if seen is not None and seen[0] is raw and seen[1] == data_version and seen[2] == raw.total_changes:
        return seen[3]
    stamp = history.edit_stamp()
    _sqlite_seen = (raw, data_version, raw.total_changes, stamp)
    return stamp


# Today's date where the site is (TIME_ZONE), and the time (epoch seconds) its day ends.
_day = (None, 0.0)


def local_today():
    """timezone.localdate(), worked out again only once the day is over."""
    global _day
    today, ends = _day
    if time.time() < ends:
        return today
    today = timezone.localdate()
    tomorrow = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min)
    _day = (today, timezone.make_aware(tomorrow).timestamp())
    return today


@receiver(setting_changed)
def _forget_the_day(setting, **kwargs):
    global _day
    if setting in ("TIME_ZONE", "USE_TZ"):
        _day = (None, 0.0)


@dataclasses.dataclass(slots=True)
class Page:
    """A public page as the data's current version makes it: its ETag, its key and what is stored there."""

    token: str
    latest: object  # the newest change's time, or NOT_READ
    today: datetime.date
    version: str
    etag: str
    key: str
    stored: HttpResponse | None = None


def is_conditional(meta):
    return "HTTP_IF_NONE_MATCH" in meta or "HTTP_IF_MODIFIED_SINCE" in meta


class PublicPageCacheMiddleware:
    """Conditional GET and a never-stale page cache for anonymous readers of the public pages."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.release = release()
        self.last_given = None
        # (version token, the latest change read under it): see latest_change().
        self.latest_read = (None, None)
        # (An unset MEDIA_URL reads as "/": it would exclude everything.)
        self.excluded = tuple(
            p for p in (reverse("admin:index"), settings.STATIC_URL, settings.MEDIA_URL) if p != "/"
        )

    def __call__(self, request):
        if not self.applies_to(request):
            return self.get_response(request)
        if not self.is_anonymous(request):
            response = self.get_response(request)
            # (No user when an inner middleware answered first, e.g. a redirect.)
            user = getattr(request, "user", None)
            if user is None or user.is_authenticated:
                patch_cache_control(response, private=True)
            return response

        page = self.page_for(request)
        if settings.PUBLIC_CACHE_SECONDS > 0:
            self.fetch(page)
        if is_conditional(request.META):
            not_modified = self.not_modified(request, page)
            if not_modified is not None:
                return not_modified
        if page.stored is not None:
            return self.serve(page)

        # Rows and parts derived from this version of the data (and language) are kept for the
        # next request of the same version (tracker/derived.py).
        keeping = derived.current_version.set(page.version)
        try:
            response = self.get_response(request)
        finally:
            derived.current_version.reset(keeping)
        if not self.cacheable(response):
            return response
        if page.latest is NOT_READ:
            page.latest = self.latest_change(page.token)
        if settings.PUBLIC_CACHE_SECONDS > 0 and request.method == "GET":
            cache.set(page.key, self.freeze(response, page.latest), settings.PUBLIC_CACHE_SECONDS)
            response["X-Cache"] = "miss"
        return self.stamp(response, page.etag, self.page_last_modified(page))

    def page_for(self, request):
        """The page asked for, under the data's current version: its ETag and its key."""
        token, latest = page_version()
        today = local_today()
        # The language is the address's (tracker/i18n.py): part of the key already, and
        # of the ETag too, so that /fr/ and / never share one.
        language = path_language(request.path_info)
        version = f"{token}|{today.isoformat()}|{self.release}|{language}"
        return Page(
            token=token,
            latest=latest,
            today=today,
            version=version,
            etag=quote_etag(hashlib.sha256(version.encode()).hexdigest()[:24]),
            key=CACHE_KEY_PREFIX + hashlib.sha256(f"{version}|{self.address(request)}".encode()).hexdigest(),
        )

    def fetch(self, page):
        """Read what is stored under the page's key, if anything: the response, and when it was stored."""
        stored = cache.get(page.key)
        if stored is None:
            return None
        response, latest, stored_at = stored
        page.stored = response
        if page.latest is NOT_READ:
            page.latest = latest
        return stored_at

    def not_modified(self, request, page):
        """A 304 Not Modified when the request's validators still match the page, else None."""
        if page.latest is NOT_READ and "HTTP_IF_MODIFIED_SINCE" in request.META:
            page.latest = self.latest_change(page.token)
        last_modified = self.page_last_modified(page)
        request.get_host()  # a refused host gets its 400 here too, not a 304
        response = get_conditional_response(request, etag=page.etag, last_modified=last_modified)
        return None if response is None else self.stamp(response, page.etag, last_modified)

    def serve(self, page):
        """The stored page, as this request's answer (unpickled by the cache: a response of its own)."""
        response = page.stored
        response["X-Cache"] = "hit"
        return self.stamp(response, page.etag, self.page_last_modified(page))

    def page_last_modified(self, page):
        return None if page.latest is NOT_READ else self.last_modified(page.latest, page.today)

    def address(self, request):
        """The address as asked for: scheme, host, path and query.

        The host is the one Django's get_host() reads (X-Forwarded-Host when trusted, else
        the Host header, else the server's name and port), unchecked: get_host() checks it
        against ALLOWED_HOSTS on each request, and a page is only stored after a render,
        which refuses a host that is not allowed (CommonMiddleware), so no key made from a
        refused host ever holds a page. Instances behind one name share their pages
        whatever port each listens on.
        """
        meta = request.META
        host = (settings.USE_X_FORWARDED_HOST and meta.get("HTTP_X_FORWARDED_HOST")) or meta.get("HTTP_HOST")
        if not host:
            host = f"{meta.get('SERVER_NAME', '')}:{meta.get('SERVER_PORT', '')}"
        return f"{request.scheme}://{host}{request.get_full_path()}"

    def latest_change(self, token):
        """The time of the newest history row, read once per version token.

        On PostgreSQL the token is the snapshot, which no write leaves unmoved: while
        it stays, so does the newest history row. Reading it means a maximum from
        each history table, which on a large history costs more than rendering a
        small page, so a worker reads it again only once the snapshot moved.
        """
        read_under, latest = self.latest_read
        if read_under != token:
            latest = history.latest_change_at()
            self.latest_read = (token, latest)
        return latest

    def applies_to(self, request):
        if not settings.PUBLIC_CACHE or request.method not in ("GET", "HEAD"):
            return False
        return not request.path.startswith(self.excluded)

    def is_anonymous(self, request):
        """True when the request certainly comes from an anonymous reader with nothing pending.

        Without a session cookie nobody is logged in, and no message waits in
        the session; this avoids loading a session for the common case.
        """
        if settings.SESSION_COOKIE_NAME in request.COOKIES or "messages" in request.COOKIES:
            return False
        return "HTTP_AUTHORIZATION" not in request.META

    def last_modified(self, latest, today):
        """Return the Last-Modified time (seconds), or None while it could still change.

        The page also depends on the day, so it is at least today's midnight.
        HTTP dates count whole seconds: while the newest edit's second is not
        over, another edit could share it, so no Last-Modified is given then
        (the ETag still is). A time once given stays the answer for the same
        edit and day, so the last one is kept.
        """
        known = self.last_given
        if known is not None and known[0] == latest and known[1] == today:
            return known[2]
        midnight = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
        moment = max(latest, midnight) if latest else midnight
        seconds = int(moment.timestamp())
        if seconds >= int(time.time()):
            return None
        self.last_given = (latest, today, seconds)
        return seconds

    def cacheable(self, response):
        if response.status_code != 200 or response.streaming or response.cookies:
            return False
        control = response.get("Cache-Control", "")
        return not any(word in control for word in ("private", "no-store", "no-cache"))

    def freeze(self, response, latest):
        """What is stored: a copy of the response without its per-request headers, the latest change and the time.

        The response object itself is stored, as Django's own cache middleware
        does: unpickling it is cheaper than building a new one and checking
        each of its headers again.
        """
        headers = {k: v for k, v in response.items() if k.lower() not in PER_REQUEST_HEADERS}
        # What stamp() would add to every copy (a view's own Cache-Control is not kept: see there).
        headers["Cache-Control"] = PUBLIC_CACHE_CONTROL
        return (
            HttpResponse(response.content, status=response.status_code, headers=headers),
            latest,
            time.time(),
        )

    def stamp(self, response, etag, last_modified):
        response["ETag"] = etag
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)
        # Browsers and proxies may keep the page but must ask again each time:
        # the answer is a cheap 304 until something changes.
        if "Cache-Control" not in response:
            response["Cache-Control"] = PUBLIC_CACHE_CONTROL
        return response


# What a worker keeps of a stored page it answered (StoredPageApplication): the status line, the
# headers but Last-Modified, the body, the newest change and day it was made under, the time
# it stops being served, and its Last-Modified once that is known.
@dataclasses.dataclass(slots=True)
class KeptPage:
    status: str
    headers: list
    body: bytes
    latest: object
    today: datetime.date
    expires: float
    last_modified: str | None = None


class StoredPageApplication:
    """The site's WSGI application: Django's, with stored pages answered in front of it.

    Django spends more on any request before a middleware sees it, and on the way
    out (its signals, its request, its middleware chain, its response's conversion),
    than WhiteNoise spends on a static file. So an anonymous GET whose page is
    stored is answered here, under the same key the middleware uses, with the
    headers the middleware outside the page cache adds (SecurityMiddleware's, and the
    read API's CORS headers); so is its 304 when the reader's (or a CDN's)
    validators still match. Anything else goes to Django unchanged and is answered
    there as before: a page not stored yet, a HEAD, a reader with a session, a host
    that is not allowed, an address the SSL redirect would move, and any error
    (Django reports it and shows the site's error page).

    Each worker also keeps the pages it answered, ready to send (at most KEPT_PAGES
    of them and KEPT_BYTES of bodies, each no longer than the shared cache keeps it):
    the key still comes from the data's version on every request, so a kept page is
    never stale either, and what a request costs is the version's check and no copy
    of the page.
    """

    KEPT_PAGES = 256
    KEPT_BYTES = 32 * 1024 * 1024

    def __init__(self, django_application):
        self.django = django_application
        # Only their parts for a stored page are used here: neither calls on.
        self.pages = PublicPageCacheMiddleware(django_application.get_response)
        self.security = SecurityMiddleware(django_application.get_response)
        self.kept = {}
        self.kept_bytes = 0

    def __call__(self, environ, start_response):
        answer = self.stored_page(environ)
        if answer is None:
            return self.django(environ, start_response)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def stored_page(self, environ):
        """(status, headers, body) of the stored page this request asks for, or None for Django to answer."""
        if environ.get("REQUEST_METHOD") != "GET" or settings.PUBLIC_CACHE_SECONDS <= 0:
            return None
        # (On a copy: a request object rewrites PATH_INFO in the environ it is given, which
        # Django could then not decode again.)
        request = WSGIRequest(environ.copy())
        if not self.pages.applies_to(request) or not self.pages.is_anonymous(request):
            return None
        if self.security.process_request(request) is not None:  # the SSL redirect
            return None
        try:
            request.get_host()
        except DisallowedHost:
            return None
        # Around each request Django closes a kept connection that is too old or broken
        # (close_old_connections()); so does this, for the one connection it uses.
        database = connections[DEFAULT_DB_ALIAS]
        database.close_if_unusable_or_obsolete()
        try:
            page = self.pages.page_for(request)
            kept = self.kept.get(page.key)
            if kept is None or kept.expires <= time.time():
                kept = self.keep(request, page)
            elif page.latest is NOT_READ:
                page.latest = kept.latest
            not_modified = self.pages.not_modified(request, page) if is_conditional(environ) else None
        except Exception:  # noqa: BLE001 (Django does it again, and reports what failed)
            return None
        finally:
            database.close_if_unusable_or_obsolete()
        if not_modified is not None:
            self.outer_headers(request, not_modified)
            return f"{not_modified.status_code} {not_modified.reason_phrase}", list(not_modified.items()), b""
        if kept is None:
            return None
        headers = kept.headers.copy()
        if kept.last_modified is None:
            seconds = self.pages.last_modified(kept.latest, kept.today)
            kept.last_modified = None if seconds is None else http_date(seconds)
        if kept.last_modified is not None:
            headers.append(("Last-Modified", kept.last_modified))
        return kept.status, headers, kept.body

    def keep(self, request, page):
        """The page from the shared cache, as this worker keeps it; None when it is not stored."""
        stored_at = self.pages.fetch(page)
        if stored_at is None:
            return None
        response = self.outer_headers(request, self.pages.serve(page))
        kept = KeptPage(
            status=f"{response.status_code} {response.reason_phrase}",
            headers=[(name, value) for name, value in response.items() if name != "Last-Modified"],
            body=response.content,
            latest=page.latest,
            today=page.today,
            expires=stored_at + settings.PUBLIC_CACHE_SECONDS,
        )
        if len(kept.body) > self.KEPT_BYTES:
            return kept
        if len(self.kept) >= self.KEPT_PAGES or self.kept_bytes + len(kept.body) > self.KEPT_BYTES:
            # Every edit moves every page to a new key: the old ones are of no more use.
            self.kept.clear()
            self.kept_bytes = 0
        self.kept[page.key] = kept
        self.kept_bytes += len(kept.body)
        return kept

    def outer_headers(self, request, response):
        """Add what the middleware outside the page cache adds to a response."""
        if request.path.startswith(cors.API_PREFIX):
            cors.allow_reading(response)
        return self.security.process_response(request, response)
