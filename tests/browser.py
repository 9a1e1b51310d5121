"""The browser tests' common ground: Debian's Chromium driven by Playwright, one browser per test class.

Every browser test class derives from BrowserTestCase and is marked ``browser``
(tests/conftest.py skips them, with the reason, where Chromium is missing).
"""

import os
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.testing import StaticLiveServerTestCase

from tests.conftest import CHROMIUM

# Playwright's sync API runs an event loop in this thread; Django must allow its ORM here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

# Screenshots for a person to look at (git-ignored).
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class BrowserTestCase(StaticLiveServerTestCase):
    """A live server and one headless Chromium for the class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from playwright.sync_api import sync_playwright

        cls.playwright = sync_playwright().start()
        executable = CHROMIUM if os.path.exists(CHROMIUM) else "chromium"
        cls.browser = cls.playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        ARTIFACTS.mkdir(exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()
