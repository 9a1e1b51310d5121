"""Work done once per version of the data, in each worker: derived rows and rendered rows.

A public page that is not in the page cache (any filter combination, any ``as_of``, a
fresh worker) is built from facts that change only when the data does: every State's
standing under a treaty on a day, the deadlines, the reports due, a table row's HTML.
``memo(key, compute)`` keeps such a result in the worker's memory under the data's
version (the one ``tracker.caching`` reads for the page's ETag, so it costs no query),
today's date, the code's release and the language of the address; the next request of the
same version, whatever its filters, reuses it. An edit moves the version, so nothing
is ever stale and nothing is purged: results of older versions are dropped when a new
one is first seen, and nothing is kept longer than ``DERIVED_MEMO_SECONDS`` (600), the
page cache's own limit for writes that record no history on SQLite.

Only anonymous GET and HEAD requests of the public pages have a version (the page
cache middleware sets it); everywhere else (the admin, the tests with the page cache
off, management commands) ``memo()`` just computes. ``DERIVED_MEMO=false`` turns it off
(the benchmark's "cold" measurement: every request computes everything).

Kept values are shared between the requests of a worker: callers must treat them as
read-only (lists are copied before they are filtered or sorted).
"""

import contextvars
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.utils.safestring import mark_safe

# The version of the data the current request reads and its language, or None (nothing is kept).
current_version = contextvars.ContextVar("tracker_data_version", default=None)

# Results per key, for the newest version seen only; at most MAX_ENTRIES of them, the least
# recently used going first. Measured on the large data set: the pages' rows and parts take
# about 40 MB a worker; each further day of /states/?as_of= about 1.8 MB (its standings and
# 197 rows), so the bound keeps a worker under about 100 MB whatever a crawler asks for.
MAX_ENTRIES = 10_000
_lock = threading.Lock()
_store = OrderedDict()
_store_version = None
_store_started = time.monotonic()  # when the version kept was first seen


def memo(key, compute):
    """Return ``compute()``, kept for the current data version under ``key`` (a hashable tuple)."""
    global _store_version
    version = current_version.get()
    if version is None or not settings.DERIVED_MEMO:
        return compute()
    with _lock:
        if _store_version == version and time.monotonic() - _store_started > settings.DERIVED_MEMO_SECONDS:
            # Writes that add no history row do not move the version on SQLite (see
            # tracker/caching.py): like a cached page, nothing is kept longer than this.
            _forget()
        if _store_version == version:
            try:
                value = _store[key]
            except KeyError:
                pass
            else:
                _store.move_to_end(key)
                return value
    value = compute()
    with _lock:
        if _store_version != version:
            # A newer version (edits only move forward): what was kept is stale.
            _forget()
            _store_version = version
        _store[key] = value
        while len(_store) > MAX_ENTRIES:
            _store.popitem(last=False)
    return value


def fragment(*key, caller, notes=None):
    """Jinja2: ``{% call fragment("kind", id, …) %}…{% endcall %}`` renders its body once per version.

    The key must name everything the body shows besides the data (the row's record,
    the day it is shown for, the columns shown); the version includes the language.

    On a page that numbers its sources as it cites them (``notes``, a
    tracker.footnotes.SourceNotes), the body's numbers depend on the sources cited
    before it: those are part of the key, the sources the body cites are kept with
    it, and they are cited again whenever it is shown, so the page's list of sources
    is the same as if the body had been rendered.
    """
    if not notes:
        return memo(("fragment", *key), lambda: mark_safe(caller()))

    def render():
        with notes.recording() as cited:
            html = mark_safe(caller())
        return html, tuple(cited)

    html, cited = memo(("numbered fragment", notes.state(), *key), render)
    notes.cite(cited)
    return html


def _forget():
    """Drop everything kept (the caller holds the lock)."""
    global _store_version, _store_started
    _store.clear()
    _store_version = None
    _store_started = time.monotonic()


def clear():
    """Forget everything kept (tests)."""
    with _lock:
        _forget()
