"""Fixtures of the browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

The browser lives for one test only (not pytest-playwright's session-wide browser): Playwright's sync API keeps an
asyncio loop running in the main thread, and Django refuses ORM calls while one runs unless
``DJANGO_ALLOW_ASYNC_UNSAFE`` is set. Scoping both to the e2e test keeps the rest of the suite as strict as before.

On failure every open page is saved (full-page PNG and HTML) to ``test-artifacts/e2e/<test>-<step>-<actor>``;
with ``E2E_SCREENSHOTS=1`` each step also saves its page when it ends.
"""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connections
from playwright.sync_api import Browser, Page, expect, sync_playwright

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
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"

failed_call = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[pytest.TestReport]:
    """Remember whether the test body failed, for the screenshot fixture's teardown."""
    report = yield
    if report.when == "call" and report.failed:
        item.stash[failed_call] = True
    return report


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


class Browsing:
    """One Chromium for the test; a browser context (own cookies) per actor; the current step for artifacts."""

    def __init__(self, browser: Browser, base_url: str, test_name: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.test_name = _slug(test_name)
        self.pages: dict[str, Page] = {}
        self.current_step = "setup"
        self.screenshot_steps = os.environ.get("E2E_SCREENSHOTS") == "1"

    def page_for(self, actor: str) -> Page:
        """The actor's page, in a browser context of its own (opened on first use)."""
        if actor not in self.pages:
            context = self.browser.new_context(
                base_url=self.base_url,
                locale="zh-CN",
                timezone_id="Asia/Shanghai",
                viewport={"width": 1280, "height": 900},
                accept_downloads=True,
            )
            context.set_default_timeout(TIMEOUT_MS)
            context.set_default_navigation_timeout(TIMEOUT_MS)
            # No favicon request: on in-memory SQLite the live server shares one connection between its threads,
            # and a stray parallel request is the one thing that could interleave with a page's transaction.
            context.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
            self.pages[actor] = context.new_page()
        return self.pages[actor]

    @contextmanager
    def step(self, name: str, page: Page | None = None) -> Iterator[None]:
        """Name the step (artifacts carry it); with E2E_SCREENSHOTS=1 save ``page`` when the step ends."""
        self.current_step = name
        yield
        if self.screenshot_steps and page is not None:
            actor = next((a for a, p in self.pages.items() if p is page), "page")
            self.save(page, f"{self.test_name}-{_slug(name)}-{actor}")

    def save(self, page: Page, stem: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.wait_for_load_state()
        page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
        (ARTIFACTS / f"{stem}.html").write_text(page.content(), encoding="utf-8")

    def save_all(self) -> None:
        for actor, page in self.pages.items():
            try:
                self.save(page, f"{self.test_name}-{_slug(self.current_step)}-{actor}")
            except Exception as error:  # a page that cannot be saved must not hide the test's own failure
                print(f"e2e: could not save the {actor} page: {error}")  # noqa: T201


@pytest.fixture
def browsing(request, live_server, transactional_db, monkeypatch, settings) -> Iterator[Browsing]:
    """Chromium for this test, its pages saved on failure; staff MFA off; links in documents point here."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests drive Debian's Chromium. Install it with "
            "`apt-get install -y --no-install-recommends chromium fonts-noto-cjk` (or set E2E_CHROMIUM)."
        )
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    monkeypatch.setenv("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    settings.STAFF_MFA_REQUIRED = False
    # The award notice prints its verification URL; make it one this browser can open.
    settings.SITE_URL = live_server.url
    expect.set_options(timeout=TIMEOUT_MS)
    # The objection page's rate limit counts in the (process-wide) cache.
    cache.clear()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        browsing = Browsing(browser, live_server.url, request.node.name)
        try:
            yield browsing
            if request.node.stash.get(failed_call, False):
                browsing.save_all()
        finally:
            browser.close()
            # While Playwright's loop runs, asgiref's Local gives this thread other connection objects than before
            # and after: close those here, or one outlives the test and PostgreSQL cannot drop the test database.
            connections.close_all()
    cache.clear()
