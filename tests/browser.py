"""Debian's Chromium, driven by Playwright, against pytest-django's live server: what the browser suites share.

The browser lives for one test only (not pytest-playwright's session-wide browser): Playwright's sync API keeps an
asyncio loop running in the main thread, and Django refuses ORM calls while one runs unless
``DJANGO_ALLOW_ASYNC_UNSAFE`` is set. Scoping both to the browser test keeps the rest of the suite as strict.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connections

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A broken step should fail within seconds with Playwright's message, not hang the suite.
TIMEOUT_MS = 15_000


@contextmanager
def live_chromium(live_server, monkeypatch, settings) -> Iterator[object]:
    """Yield a headless Chromium for one test against the live server; staff MFA off; links in documents (the
    award notice's verification URL) point at the live server; the cache (rate limits) empty before and after."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests drive Debian's Chromium. Install it with "
            "`apt-get install -y --no-install-recommends chromium fonts-noto-cjk` (or set E2E_CHROMIUM)."
        )
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    monkeypatch.setenv("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    settings.STAFF_MFA_REQUIRED = False
    settings.SITE_URL = live_server.url
    cache.clear()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # While Playwright's loop runs, asgiref's Local gives this thread other connection objects than before
            # and after: close those here, or one outlives the test and PostgreSQL cannot drop the test database.
            connections.close_all()
    cache.clear()
