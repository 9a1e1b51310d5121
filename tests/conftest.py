"""Shared test set-up: when a suite of tests cannot run here, say why, loudly.

Browser tests need Debian's Chromium and PostgreSQL-only tests need
DATABASE_URL to point at PostgreSQL. On a user's machine without them the
tests skip with the reason shown in the summary (pytest -ra). Under CI (the
CI variable set) a missing Chromium is a failure, not a skip.

The suite runs in one worker process per core (pytest-xdist, ``-n auto`` in
pytest.ini), each with its own test database (pytest-django names it
``test_…_gw0``, ``test_…_gw1``, …); a run of named files or tests stays in one
process, where starting workers would cost more than it saves.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from django.db import connection

try:
    import fcntl
except ImportError:  # Windows: no file locks, and so no exclusive tests alongside others
    fcntl = None

CHROMIUM = os.getenv("CHROMIUM_PATH", "/usr/bin/chromium")
IN_CI = bool(os.getenv("CI"))


def chromium_available():
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


MAX_WORKERS = 8


def pytest_xdist_auto_num_workers(config):
    """How many workers ``-n auto`` starts: one per core (at most MAX_WORKERS), or none
    (the tests run in this process) when the command line names test files or tests.

    PYTEST_XDIST_AUTO_NUM_WORKERS, as in pytest-xdist itself, sets the number; ``-n 0``
    (or ``-n 2``) on the command line overrides all of this.
    """
    chosen = os.getenv("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if chosen:
        return int(chosen)
    here = config.invocation_params.dir
    named = [arg.split("::")[0] for arg in config.args]
    if config.args_source == pytest.Config.ArgsSource.ARGS and all(
        "::" in arg or (here / path).is_file() for arg, path in zip(config.args, named, strict=True)
    ):
        return 0
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return min(cores, MAX_WORKERS)


LOCK = "TRACKER_TESTS_LOCK"  # the lock file of this run, for its workers


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Under pytest-xdist, a test marked ``exclusive`` runs while no other worker runs a test.

    Every test holds a shared lock on the run's lock file, from its set-up to its tear-down
    (a worker's first and last tests also make and drop its test database); an ``exclusive``
    test holds it alone, so it waits for the tests running elsewhere, and they wait for it.
    """
    if fcntl is None or not hasattr(item.config, "workerinput") or not os.getenv(LOCK):
        yield
        return
    with open(os.environ[LOCK], "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if item.get_closest_marker("exclusive") else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def instrument_jinja2():
    """Let the test client see the pages Jinja2 renders as it sees Django templates' pages.

    Django's test set-up makes Django templates send ``template_rendered`` (so that
    ``response.context`` and ``response.templates`` exist); its Jinja2 backend sends
    nothing. This does for Jinja2 what Django does for its own templates: the signal
    with the template and the page's full context (context processors included),
    before the page renders, so the page's context comes before any form widget's.
    """
    from django.template import Context
    from django.template.backends import jinja2
    from django.test.signals import template_rendered

    render = jinja2.Template.render
    if getattr(render, "instrumented", False):
        return

    def instrumented_render(self, context=None, request=None):
        context = dict(context or {})
        if request is not None:
            context["request"] = request
            for processor in self.backend.template_context_processors:
                context.update(processor(request))
        template_rendered.send(sender=self, template=self.template, context=Context(context))
        return render(self, context, request)

    instrumented_render.instrumented = True
    jinja2.Template.render = instrumented_render


def pytest_configure(config):
    if not hasattr(config, "workerinput") and config.getoption("dist", "no") != "no":
        # The controller of an xdist run: its workers, started later, inherit the variable.
        handle, path = tempfile.mkstemp(prefix="tracker-tests-", suffix=".lock")
        os.close(handle)
        os.environ[LOCK] = path
        config.add_cleanup(lambda: Path(path).unlink(missing_ok=True))
    instrument_jinja2()
    # The public page cache (tracker/caching.py) would serve a page rendered by an
    # earlier request or test, without its context and its queries: tests switch it
    # on where they test it, with override_settings(PUBLIC_CACHE=True).
    from django.conf import settings

    settings.PUBLIC_CACHE = False
    # Passwords in tests protect nothing: a fast hasher saves seconds per user made.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "browser" in item.keywords:
            if not chromium_available():
                if IN_CI:
                    continue  # let it run and fail: CI must have Chromium
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"browser test: Chromium not found at {CHROMIUM} (apt-get install chromium)"
                    )
                )
            else:
                try:
                    import playwright  # noqa: F401
                except ImportError:
                    item.add_marker(
                        pytest.mark.skip(reason="browser test: the playwright package is not installed")
                    )
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(
                pytest.mark.skip(
                    reason="PostgreSQL only: run with DATABASE_URL=postgres://… (CI runs this in its PostgreSQL pass)"
                )
            )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database is made from the models (pytest.ini: --nomigrations), which is much
    faster than replaying every migration; the role groups those migrations create are then
    made with the migrations' own lists of permissions."""
    from tests.factory import create_role_groups

    with django_db_blocker.unblock():
        create_role_groups()


@pytest.fixture(autouse=True)
def _forget_derived_data():
    """Rows kept per data version (tracker.derived) belong to one test's data: start each test without."""
    from tracker import derived

    derived.clear()
    yield
    derived.clear()
