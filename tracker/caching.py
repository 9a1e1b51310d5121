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

import datetime
import hashlib
import os
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag

from tracker import derived, history
from tracker.i18n import path_language

# Response headers that are not stored with a page: they are set per request.
PER_REQUEST_HEADERS = {"set-cookie", "etag", "last-modified", "cache-control", "expires", "date", "x-cache"}
CACHE_KEY_PREFIX = "tracker:page:"


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

    One query. On PostgreSQL it is the database's current snapshot (the
    transactions running and the next transaction id), which moves whenever a
    write transaction starts or commits: it reads no table, so a cached page
    costs almost nothing, and it also sees writes that bypass history. A page
    rendered while a write committed is stored under the snapshot taken
    before it, which no later request sees again. Inside a transaction block
    (tests, ATOMIC_REQUESTS) the snapshot would not show the transaction's own
    writes: there, and on SQLite, the newest history row of each kind is the
    version (tracker.history.edit_stamp()).
    """
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_snapshot()::text")
            return "pg:" + cursor.fetchone()[0], NOT_READ
    return history.edit_stamp()


class PublicPageCacheMiddleware:
    """Conditional GET and a never-stale page cache for anonymous readers of the public pages."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.release = release()
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

        token, latest = page_version()
        today = timezone.localdate()
        # The language is the address's (tracker/i18n.py): part of the key already, and
        # of the ETag too, so that /fr/ and / never share one.
        language = path_language(request.path_info)
        version = f"{token}|{today.isoformat()}|{self.release}|{language}"
        etag = quote_etag(hashlib.sha256(version.encode()).hexdigest()[:24])
        seconds = settings.PUBLIC_CACHE_SECONDS
        key = (
            CACHE_KEY_PREFIX
            + hashlib.sha256(f"{version}|{request.build_absolute_uri()}".encode()).hexdigest()
        )
        stored = cache.get(key) if seconds > 0 else None
        if latest is NOT_READ and stored is not None:
            latest = stored[3]
        if latest is NOT_READ and "HTTP_IF_MODIFIED_SINCE" in request.META:
            latest = history.latest_change_at()
        last_modified = None if latest is NOT_READ else self.last_modified(latest, today)
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            return self.stamp(not_modified, etag, last_modified)
        if stored is not None:
            response = self.rebuild(stored)
            response["X-Cache"] = "hit"
            return self.stamp(response, etag, last_modified)

        # Rows and parts derived from this version of the data (and language) are kept for the
        # next request of the same version (tracker/derived.py).
        keeping = derived.current_version.set(version)
        try:
            response = self.get_response(request)
        finally:
            derived.current_version.reset(keeping)
        if not self.cacheable(response):
            return response
        if latest is NOT_READ:
            latest = history.latest_change_at()
            last_modified = self.last_modified(latest, today)
        if seconds > 0 and request.method == "GET":
            cache.set(key, self.freeze(response, latest), seconds)
            response["X-Cache"] = "miss"
        return self.stamp(response, etag, last_modified)

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
        (the ETag still is).
        """
        midnight = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
        moment = max(latest, midnight) if latest else midnight
        seconds = int(moment.timestamp())
        return seconds if seconds < int(time.time()) else None

    def cacheable(self, response):
        if response.status_code != 200 or response.streaming or response.cookies:
            return False
        control = response.get("Cache-Control", "")
        return not any(word in control for word in ("private", "no-store", "no-cache"))

    def freeze(self, response, latest):
        headers = [(k, v) for k, v in response.items() if k.lower() not in PER_REQUEST_HEADERS]
        return response.status_code, headers, response.content, latest

    def rebuild(self, stored):
        status, headers, content, _ = stored
        return HttpResponse(content, status=status, headers=dict(headers))

    def stamp(self, response, etag, last_modified):
        response["ETag"] = etag
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)
        # Browsers and proxies may keep the page but must ask again each time:
        # the answer is a cheap 304 until something changes.
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-cache, public"
        return response
