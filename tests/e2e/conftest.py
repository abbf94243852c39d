"""Fixtures of the browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

The browser itself comes from ``tests/browser.py`` (shared with the accessibility audit).

On failure every open page is saved (full-page PNG and HTML) to ``test-artifacts/e2e/<test>-<step>-<actor>``;
with ``E2E_SCREENSHOTS=1`` each step also saves its page when it ends.
"""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import TIMEOUT_MS, live_chromium

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
    """Chromium for this test (tests/browser.py), its pages saved on failure."""
    expect.set_options(timeout=TIMEOUT_MS)
    with live_chromium(live_server, monkeypatch, settings) as browser:
        browsing = Browsing(browser, live_server.url, request.node.name)
        yield browsing
        if request.node.stash.get(failed_call, False):
            browsing.save_all()
