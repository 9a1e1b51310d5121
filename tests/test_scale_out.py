"""Two instances of the site on one PostgreSQL database and one Redis cache stay consistent.

Each instance is a real gunicorn process with production settings. Both are
reached with the same Host header, as behind a load balancer. An editor saves
through one; the next request to the other shows the change, on pages and in
downloads alike; and a page one instance rendered is served by the other from
the shared cache (its X-Cache header says "hit").
"""

import html.parser
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.test import TransactionTestCase

from tests import factory
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent
# Flushed by the one test below: with the suite spread over workers (pytest-xdist) only
# the worker that runs this class uses it, and the servers it starts use that worker's
# own test database (connection.settings_dict, e.g. test_postgres_gw1).
REDIS_URL = os.getenv("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
HOST = "127.0.0.1"
PASSWORD = "a long test password"


def redis_reachable():
    parsed = urllib.parse.urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class FormFields(html.parser.HTMLParser):
    """The fields a browser would post from the form with ``form_id``: inputs, selects, textareas."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []
        self.select = self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif not self.inside:
            return
        elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields.append([a["name"], a.get("value", "on" if a.get("type") == "checkbox" else "")])
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append([self.select, a.get("value", "")])
        elif tag == "textarea":
            self.textarea = [a.get("name"), ""]
            self.fields.append(self.textarea)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            # Browsers drop the newline that follows <textarea>.
            self.textarea[1] = self.textarea[1].removeprefix("\n")
            self.textarea = None


class Instance:
    """One gunicorn process serving the site, and a browser-like client with its own cookies."""

    def __init__(self, env):
        self.port = free_port()
        self.cookies = {}
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "tracker.wsgi:application",
                "--bind",
                f"{HOST}:{self.port}",
                "--workers",
                "1",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            # A file, not a pipe: a pipe nobody reads fills up and stalls the server.
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn stopped: {self.errors()}") from None
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start within 30 s")

    def errors(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()

    def request(self, path, data=None, *, anonymous=False):
        """GET (or POST ``data``) as over HTTPS through the load balancer; (status, headers, body).

        ``anonymous`` sends no cookies, as a reader who is not the logged-in editor.
        """
        headers = {
            # Both instances are reached by one name, as behind a load balancer.
            "Host": HOST,
            "X-Forwarded-Proto": "https",
        }
        if self.cookies and not anonymous:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Origin"] = f"https://{HOST}"
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(f"http://{HOST}:{self.port}{path}", data=body, headers=headers)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                status, head, content = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, head, content = error.code, error.headers, error.read()
        for value in head.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        return status, head, content.decode()

    def log_in(self, username, password):
        status, _, page = self.request("/admin/login/")
        form = FormFields("login-form")
        form.feed(page)
        fields = dict(form.fields) | {"username": username, "password": password}
        status, head, page = self.request("/admin/login/?next=/admin/", fields)
        note = page[page.find("errornote") :][:400] if "errornote" in page else page[-1500:]
        assert status == 302, f"login answered {status}: {note}"

    def save_admin_form(self, path, form_id, **changes):
        status, _, page = self.request(path)
        assert status == 200, f"{path} answered {status}"
        form = FormFields(form_id)
        form.feed(page)
        fields = [(k, v) for k, v in form.fields if k not in changes] + list(changes.items())
        return self.request(path, fields)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# exclusive: the page cache's version on PostgreSQL is the cluster's snapshot, which any write
# in any database of the cluster moves (another worker's tests too): nothing else may run.
@pytest.mark.postgres
@pytest.mark.exclusive
class TwoInstancesTestCase(TransactionTestCase):
    """Two gunicorn processes on PostgreSQL and Redis: an edit through one is read at once through the other."""

    def setUp(self):
        if not redis_reachable():
            if IN_CI:
                self.fail(f"Redis is not reachable at {REDIS_URL}; CI must run this test.")
            self.skipTest(f"needs Redis at {REDIS_URL} (redis-server --daemonize yes)")
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        self.w = factory.make_public_world()
        root = factory.make_user("root", superuser=True)
        # The tests' fast hasher is not one the servers' production settings accept:
        # store the password as production does (few rounds: this is a test).
        root.password = PBKDF2PasswordHasher().encode(PASSWORD, "two-instances", iterations=1000)
        root.save()
        settings = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}",
            "CACHE_URL": REDIS_URL,
            "DEBUG": "false",
            "SECRET_KEY": "two-instances-test-" + "k" * 50,
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "false",
            "AXES_ENABLED": "false",
            "PUBLIC_CACHE": "true",
            "PUBLIC_CACHE_SECONDS": "600",
        }
        env.pop("RELEASE", None)
        # Production settings serve hashed static files: collect them once, as a deployment does.
        self.static = tempfile.TemporaryDirectory()
        env["STATIC_ROOT"] = self.static.name
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
        self.a, self.b = Instance(env), Instance(env)

    def tearDown(self):
        for instance in (getattr(self, "a", None), getattr(self, "b", None)):
            if instance is not None:
                instance.stop()
        if hasattr(self, "static"):
            self.static.cleanup()

    def shared(self, first, second, path):
        """Request ``path`` through ``first`` with the shared cache empty, then through ``second``,
        which must serve the page ``first`` stored; return both bodies. The version is
        PostgreSQL's snapshot, which any write to the server moves (another test's database,
        autovacuum's statistics): when one came between the two requests, ``second`` renders
        the page again, and the pair is tried again, from an empty cache again."""
        import redis

        for _ in range(5):
            redis.Redis.from_url(REDIS_URL).flushdb()
            status, head, page = first.request(path, anonymous=True)
            self.assertEqual((status, head["X-Cache"]), (200, "miss"), f"{path}: rendered and stored")
            status, head, again = second.request(path, anonymous=True)
            self.assertEqual(status, 200, path)
            if head["X-Cache"] == "hit":
                break
        self.assertEqual(head["X-Cache"], "hit", f"{path}: one instance serves the other's page")
        self.assertEqual(again, page, path)
        return page, again

    def test_an_edit_through_one_instance_is_read_at_once_through_the_other(self):
        """Pages and downloads rendered by one instance are served by the other, until an edit moves both."""
        paths = ("/states/", "/states.json", "/states.csv", f"/states/{self.w.lebanon.iso2.lower()}/")
        for path in paths:
            first, _ = self.shared(self.a, self.b, path)
            self.assertIn("Lebanon", first, path)

        self.a.log_in("root", PASSWORD)
        status, head, _ = self.a.save_admin_form(
            f"/admin/tracker/state/{self.w.lebanon.pk}/change/",
            "state_form",
            name="Lebanese Republic",
            reason="Name as the UN lists it",
        )
        self.assertEqual(status, 302, "the admin saved the edit")

        for path in paths:
            # Nothing flushed: the edit alone moved every page to a new key.
            status, head, page = self.b.request(path)
            self.assertEqual(status, 200, path)
            self.assertIn("Lebanese Republic", page, f"{path} through B right after the edit through A")
            self.assertEqual(head["X-Cache"], "miss", path)
            page, _ = self.shared(self.b, self.a, path)
            self.assertIn("Lebanese Republic", page, path)
