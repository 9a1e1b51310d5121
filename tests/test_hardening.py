"""Production hardening: deployment checks, Content Security Policy, login throttling, upload limits."""

import ipaddress
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, RequestFactory, TestCase, override_settings

from tests import factory
from tracker import settings as tracker_settings

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def production_env(**extra):
    # Browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it.
    dropped = ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DEBUG="false",
        SECRET_KEY="test-only-9f8e7d6c5b4a39281706f5e4d3c2b1a0-a-long-random-looking-value",
        ALLOWED_HOSTS="tracker.example.org",
        **extra,
    )
    return env


def run_in_production(*args):
    """Run this Python with ``args`` in the project, with production settings (DEBUG off)."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=120
    )


class DeploymentChecksTestCase(TestCase):
    def test_production_settings_pass_check_deploy_without_warnings(self):
        """manage.py check --deploy with DEBUG off reports nothing, at warning level."""
        result = run_in_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("no issues", result.stdout)

    def test_production_cookies_are_secure_and_https_is_enforced(self):
        """With DEBUG off the session and CSRF cookies are secure, HSTS is a year, HTTP redirects."""
        code = (
            "import json; from django.conf import settings as s; print(json.dumps([s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
            "s.CONTENT_SECURITY_POLICY['DIRECTIVES'].get('upgrade-insecure-requests')]))"
        )
        result = run_in_production("manage.py", "shell", "-c", code)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("[true, true, true, 31536000, true, true]", result.stdout)

    def test_the_wsgi_application_moves_what_start_up_built_out_of_the_collectors_way(self):
        """gunicorn's entry point freezes the start-up objects (gc.freeze()), so full collections
        visit only what requests built."""
        code = "import gc, tracker.wsgi; print(gc.get_freeze_count() > 10000)"
        result = run_in_production("-c", code)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "True")

    def test_the_wsgi_application_answers_stored_pages_in_front_of_django(self):
        """gunicorn's entry point is Django's application behind the stored pages' front
        (tests/test_stored_pages.py)."""
        code = (
            "import tracker.wsgi as w; from tracker.caching import StoredPageApplication as S; "
            "print(isinstance(w.application, S) and w.application.django is w.django_application)"
        )
        result = run_in_production("-c", code)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), "True")


class ContentSecurityPolicyTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_admin_world()
        cls.root = factory.make_user("root", superuser=True)

    def test_every_response_carries_a_strict_policy(self):
        """default-src 'self', scripts only from this site, no inline script, no framing."""
        policy = self.client.get("/admin/login/")["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if " " in part.strip())
        self.assertEqual(directives["default-src"], "'self'")
        self.assertEqual(directives["script-src"], "'self'")
        self.assertEqual(directives["frame-ancestors"], "'none'")
        self.assertNotIn("unsafe-inline", policy)
        self.assertNotIn("unsafe-eval", policy)

    def test_admin_pages_have_no_inline_script(self):
        """The admin pages the editors use load scripts only from files, so the policy lets them work."""
        self.client.force_login(self.root)
        pages = [
            "/admin/",
            "/admin/tracker/participation/",
            factory.admin_change_url(self.w.lb),
            factory.admin_change_url(self.w.lb, "history"),
            factory.admin_change_url(self.w.step, "delete"),
            "/admin/tracker/participation/add/",
            "/admin/tracker/participation/import/",
            "/admin/tracker/participation/deleted/",
            "/admin/tracker/treaty/audit/",
        ]
        for url in pages:
            with self.subTest(url=url):
                r = self.client.get(url)
                self.assertEqual(r.status_code, 200)
                self.assertIn("script-src 'self'", r["Content-Security-Policy"])
                self.assertEqual(INLINE_SCRIPT.findall(r.content.decode()), [])

    def test_public_pages_have_no_inline_script(self):
        """The public pages work without JavaScript and carry no inline script either."""
        for url in ("/", "/states/", f"/states/{self.w.lebanon.iso2.lower()}/", "/deadlines/", "/changes/"):
            with self.subTest(url=url):
                r = self.client.get(url)
                self.assertEqual(r.status_code, 200)
                self.assertEqual(INLINE_SCRIPT.findall(r.content.decode()), [])


@override_settings(ALLOWED_HOSTS=["tracker.example.org"])
class RefusedHostTestCase(TestCase):
    """A Host header the site does not serve is refused with 400, on every kind of address,
    with the page cache on or off: the 400 page itself never asks for the host again."""

    ADDRESSES = [
        "/",
        "/states/",
        "/fr/states/",
        "/es/changes/",
        "/states.csv",
        "/api/v1/states",
        "/admin/",
        "/nope/",
    ]

    @classmethod
    def setUpTestData(cls):
        factory.make_treaty()

    def test_every_address_answers_400(self):
        client = Client(raise_request_exception=False, HTTP_HOST="attacker.example")
        for cache_on in (False, True):
            with override_settings(PUBLIC_CACHE=cache_on):
                for address in self.ADDRESSES:
                    with self.subTest(address=address, cache=cache_on):
                        response = client.get(address)
                        self.assertEqual(response.status_code, 400)
                        self.assertNotIn("attacker.example", response.content.decode())
                        # Nor does a conditional request get a 304 for it.
                        response = client.get(address, headers={"if-none-match": "*"})
                        self.assertEqual(response.status_code, 400)
        good = Client(HTTP_HOST="tracker.example.org")
        self.assertEqual(good.get("/states/").status_code, 200)


class LoginThrottlingTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.editor = factory.make_user("erin", groups=["editors"])

    def login(self, username="erin", password="wrong", address="203.0.113.5"):
        client = Client(REMOTE_ADDR=address)
        return client.post("/admin/login/", {"username": username, "password": password, "next": "/admin/"})

    def test_axes_is_on_with_five_failures_and_one_hour(self):
        """The settings lock a username and address out after five failures, for an hour."""
        self.assertTrue(settings.AXES_ENABLED)
        self.assertEqual((settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME), (5, 1))
        self.assertEqual(settings.AXES_LOCKOUT_PARAMETERS, [["username", "ip_address"]])

    def test_the_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(self):
        """After five wrong passwords the correct one is refused with a friendly lockout page."""
        for _ in range(4):
            self.assertEqual(self.login().status_code, 200)  # the login form again, with an error
        r = self.login()
        self.assertEqual(r.status_code, 429)
        r = self.login(password=PASSWORD)
        self.assertEqual(r.status_code, 429)
        self.assertContains(r, "Too many failed logins", status_code=429)
        self.assertContains(r, "After 5 failed attempts", status_code=429)
        self.assertTrue(AccessAttempt.objects.filter(username="erin").exists())

    def test_the_lockout_is_by_username_and_address_together(self):
        """The same editor from another address, or another user from the same address, can log in."""
        for _ in range(5):
            self.login()
        self.assertEqual(self.login(password=PASSWORD, address="198.51.100.7").status_code, 302)
        factory.make_user("ed", groups=["editors"])
        self.assertEqual(self.login(username="ed", password=PASSWORD).status_code, 302)

    def test_a_success_before_the_limit_resets_the_count(self):
        """Four failures, a success, then four more failures do not lock the editor out."""
        for _ in range(4):
            self.login()
        self.assertEqual(self.login(password=PASSWORD).status_code, 302)
        for _ in range(4):
            self.login()
        self.assertEqual(self.login(password=PASSWORD).status_code, 302)

    def test_behind_a_trusted_proxy_the_clients_address_counts(self):
        """From a trusted proxy, the right-most address it did not add itself is the client's."""
        request = RequestFactory().get(
            "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5"
        )
        trusted = [ipaddress.ip_network("10.0.0.0/8")]
        with mock.patch.object(tracker_settings, "TRUSTED_PROXIES", trusted):
            self.assertEqual(tracker_settings.client_ip_address(request), "203.0.113.5")
        chain = RequestFactory().get(
            "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5, 10.0.0.7"
        )
        with mock.patch.object(tracker_settings, "TRUSTED_PROXIES", trusted):
            self.assertEqual(tracker_settings.client_ip_address(chain), "203.0.113.5")

    def test_a_client_reaching_the_server_directly_cannot_choose_its_address(self):
        """Without trusted proxies (the default), or from an untrusted address, X-Forwarded-For is ignored."""
        request = RequestFactory().get("/", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
        self.assertEqual(tracker_settings.TRUSTED_PROXIES, [])
        self.assertEqual(tracker_settings.client_ip_address(request), "198.51.100.9")
        with mock.patch.object(tracker_settings, "TRUSTED_PROXIES", [ipaddress.ip_network("10.0.0.0/8")]):
            self.assertEqual(tracker_settings.client_ip_address(request), "198.51.100.9")
        garbage = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="not-an-address")
        with mock.patch.object(tracker_settings, "TRUSTED_PROXIES", [ipaddress.ip_network("10.0.0.0/8")]):
            self.assertEqual(tracker_settings.client_ip_address(garbage), "10.0.0.1")


class UploadLimitsTestCase(TestCase):
    def test_an_oversized_request_body_is_refused(self):
        """A form post bigger than DATA_UPLOAD_MAX_MEMORY_SIZE gets a 400, not a crash."""
        big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
        r = self.client.post("/admin/login/", {"username": big, "password": "x"})
        self.assertEqual(r.status_code, 400)

    def test_the_import_has_its_own_size_and_row_limits(self):
        """The spreadsheet import refuses files over 2 MB or 1,000 rows by default."""
        self.assertEqual(settings.TRACKER_IMPORT_MAX_BYTES, 2 * 1024 * 1024)
        self.assertEqual(settings.TRACKER_IMPORT_MAX_ROWS, 1000)
        self.assertLessEqual(settings.FILE_UPLOAD_MAX_MEMORY_SIZE, 2_621_440)
